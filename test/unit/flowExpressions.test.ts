// The flow expression language: paths over $Input/$Output/$Context and
// $input/$local/$context, and Choice conditions, parsed without eval.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCondition, evaluateCondition, evaluatePath, ExpressionError } from '../../src/core/flow/expressions';
import { applyMappings, construct } from '../../src/core/flow/mappings';

const input = { a: { b: [10, { c: 'x' }] }, 'odd key': 5, n: 3, s: 'ready', list: ['p', 'q'], flag: true, nothing: null };
const scope = { Input: input, Output: { r: 1 }, Context: { Execution: { Name: 'e1' } }, '': input };

describe('paths', () => {
  it('follows dots, [index] and quoted keys', () => {
    assert.equal(evaluatePath('$Input.a.b[0]', scope), 10);
    assert.equal(evaluatePath('$Input.a.b[1].c', scope), 'x');
    assert.equal(evaluatePath("$Input['odd key']", scope), 5);
    assert.equal(evaluatePath('$Input["a"]["b"][1]["c"]', scope), 'x');
    assert.equal(evaluatePath('$Output.r', scope), 1);
    assert.equal(evaluatePath('$Context.Execution.Name', scope), 'e1');
    assert.deepEqual(evaluatePath('$Input', scope), input);
    assert.equal(evaluatePath('$.n', scope), 3, 'bare $ is the input');
  });
  it('gives undefined for missing steps and refuses unknown roots and junk', () => {
    assert.equal(evaluatePath('$Input.missing.deeper', scope), undefined);
    assert.equal(evaluatePath('$Input.a.b[7]', scope), undefined);
    assert.throws(() => evaluatePath('$Nope.x', scope), /unknown root \$Nope/);
    assert.throws(() => evaluatePath('Input.x', scope), ExpressionError);
    assert.throws(() => evaluatePath('$Input.a[x]', scope), /bad index/);
    assert.throws(() => evaluatePath('$Input.a b', scope), /unexpected/);
  });
  it('FDL roots', () => {
    const fdl = { input: { v: 1 }, local: { w: [1, 2] }, context: { step: { name: 's' } } };
    assert.equal(evaluatePath('$local.w[1]', fdl), 2);
    assert.equal(evaluatePath('$context.step.name', fdl), 's');
  });
});

describe('conditions', () => {
  const yes = (c: string) => assert.equal(evaluateCondition(c, scope), true, c);
  const no = (c: string) => assert.equal(evaluateCondition(c, scope), false, c);
  it('compares numbers, strings, booleans and null', () => {
    yes('$Input.n == 3');
    yes('$Input.n != 4');
    yes('$Input.n < 4 && $Input.n <= 3 && $Input.n > 2 && $Input.n >= 3');
    no('$Input.n > 3');
    yes('$Input.s == "ready"');
    yes("$Input.s == 'ready'");
    yes('$Input.s < "z"');
    no('$Input.s > 3'); // mixed types never order
    yes('$Input.flag == true');
    yes('$Input.nothing == null');
    yes('$Input.missing == $Input.missing2'); // undefined equals itself
    yes('$Input.n == 3.0');
    yes('$Input.n > -1');
  });
  it('&&, ||, ! and parentheses with the usual precedence', () => {
    yes('$Input.n == 1 || $Input.n == 3 && $Input.s == "ready"');
    no('($Input.n == 1 || $Input.n == 3) && $Input.s == "nope"');
    yes('!($Input.n == 1)');
    yes('!$Input.missing');
    yes('$Input.flag');
    no('!$Input.flag');
  });
  it('in: membership in a literal list or a path', () => {
    yes('$Input.s in ["ready", "done"]');
    no('$Input.s in ["done"]');
    yes('"q" in $Input.list');
    no('"z" in $Input.list');
    yes('$Input.n in [1, 2, 3]');
    no('$Input.n in []');
  });
  it('reports syntax errors', () => {
    assert.throws(() => checkCondition('$Input.n =='), /end of expression/);
    assert.throws(() => checkCondition('$Input.n == ready'), /unknown word "ready"/);
    assert.throws(() => checkCondition('($Input.n == 1'), /expected "\)"/);
    assert.throws(() => checkCondition('$Input.n = 1'), /unexpected "="/);
    assert.throws(() => checkCondition('"abc'), /unterminated string/);
    assert.throws(() => checkCondition('$Input.n == 1 2'), /unexpected token/);
  });
});

describe('constructors and mappings', () => {
  it('keys ending .$ are paths, others constants, recursively', () => {
    const out = construct({ 'x.$': '$Input.n', fixed: 'k', nested: { 'y.$': '$Output.r', list: [{ 'z.$': '$Input.s' }] } }, scope);
    assert.deepEqual(out, { x: 3, fixed: 'k', nested: { y: 1, list: [{ z: 'ready' }] } });
  });
  it('FDL mappings: $ sources are paths, anything else a constant', () => {
    const out = applyMappings(
      [
        { target: 'a', source: '$input.v' },
        { target: 'b', source: '$local.w' },
        { target: 'c', source: 'constant' },
        { target: 'd', source: 7 },
      ],
      { input: { v: 1 }, local: { w: 2 }, context: {} },
    );
    assert.deepEqual(out, { a: 1, b: 2, c: 'constant', d: 7 });
  });
});
