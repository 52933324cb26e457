// Intrinsic functions in flow expressions, from the documented examples:
// CloudFlow's built-in functions and Step Functions' States.* intrinsics
// (input, expression, expected output), then the failures each one raises.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkCondition, evaluateCondition, evaluateValue, ExpressionError } from '../../src/core/flow/expressions';
import { md5, sha1, sha256, sha384, sha512 } from '../../src/core/flow/hashes';
import { INTRINSIC_NAMES, IntrinsicError, type IntrinsicEnv } from '../../src/core/flow/intrinsics';
import { construct } from '../../src/core/flow/mappings';
import { utf8Encode } from '../../src/core/flow/textBytes';
import { validateDefinition } from '../../src/core/flow/validate';

/** A seeded source, standing in for the workflow's deterministic Math.random. */
function seededEnv(seed: number): IntrinsicEnv {
  let a = seed;
  return {
    random: () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    },
  };
}

const cloud = (states: unknown[]) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'A', States: states });
const scopeOf = (input: unknown) => ({ Input: input, Context: {}, '': input });
const run = (expression: string, input: unknown = {}, env: IntrinsicEnv = seededEnv(1)) => evaluateValue(expression, scopeOf(input), env);

const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

// [expression, input, expected]
const DOCUMENTED: [string, unknown, unknown][] = [
  // CloudFlow's built-in functions, with the documentation's own examples.
  ['arrayContains(["Tom",10],10)', {}, true],
  ['arrayContains(["Tom",10],"Jack")', {}, false],
  ['arrayUnique([1, 2, 3, 1])', {}, [1, 2, 3]],
  ['format("hello {}","world")', {}, 'hello world'],
  ['fromBase64("Rm5G")', {}, 'FnF'],
  ['toBase64("FnF")', {}, 'Rm5G'],
  [`stringToJson('{"name": "Tom", "age": 10}')`, {}, { name: 'Tom', age: 10 }],
  [`fromJSON('{"name": "Tom", "age": 10}')`, {}, { name: 'Tom', age: 10 }],
  ['jsonToString($Input.v)', { v: { name: 'Tom' } }, '{"name":"Tom"}'],
  ['hash("abc","MD5")', {}, '900150983cd24fb0d6963f7d28e17f72'],
  ['jsonMerge({"name": "Tom", "age": 10},{"name": "Tom", "address": "beijing"})', {}, { name: 'Tom', age: 10, address: 'beijing' }],
  ['length([1, 2, 3])', {}, 3],
  ['length({"name": "Tom", "age": 10})', {}, 2],
  ['length("name")', {}, 4],
  ['mapKeys({"name": "Tom", "age": 10})', {}, ['name', 'age']],
  ['mapValues({"name": "Tom", "age": 10})', {}, ['Tom', 10]],
  ['toArray(1, "a", $Input.x)', { x: true }, [1, 'a', true]],
  ['split("a,b,,c", ",")', {}, ['a', 'b', '', 'c']],
  ['regexMatchString("^v[0-9]+$", $Input.tag)', { tag: 'v12' }, true],
  ['regexMatchString("^v[0-9]+$", "x12")', {}, false],
  ['get($Input.list, 1)', { list: ['a', 'b'] }, 'b'],
  ['get($Input.map, "k")', { map: { k: 7 } }, 7],
  ['get($Input.map, "missing")', { map: { k: 7 } }, null],
  ['intAdd(2, 40)', {}, 42],
  // Step Functions' intrinsics, with its documentation's examples.
  ["States.Format('Hello, my name is {}.', $Input.name)", { name: 'Arnav' }, 'Hello, my name is Arnav.'],
  ["States.Format('{} is {} years', $Input.n, 30)", { n: 'Ann' }, 'Ann is 30 years'],
  ["States.Format('escaped \\{\\} and {}', 'x')", {}, 'escaped {} and x'],
  ['States.StringToJson($Input.escapedJsonString)', { escapedJsonString: '{"foo": "bar"}' }, { foo: 'bar' }],
  ['States.JsonToString($Input.unescapedJson)', { unescapedJson: { foo: 'bar' } }, '{"foo":"bar"}'],
  ["States.Array('Foo', 2020, $Input.someJson, null)", { someJson: { random: 'abcdefg' } }, ['Foo', 2020, { random: 'abcdefg' }, null]],
  ['States.ArrayPartition($Input.inputArray, 4)', { inputArray: nine }, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]],
  ['States.ArrayContains($Input.inputArray, $Input.lookingFor)', { inputArray: nine, lookingFor: 5 }, true],
  ['States.ArrayContains($Input.inputArray, {"a": 1})', { inputArray: [{ a: 1 }] }, true],
  ['States.ArrayRange(1, 9, 2)', {}, [1, 3, 5, 7, 9]],
  ['States.ArrayRange(5, 1, -2)', {}, [5, 3, 1]],
  ['States.ArrayGetItem($Input.inputArray, $Input.index)', { inputArray: nine, index: 5 }, 6],
  ['States.ArrayLength($Input.inputArray)', { inputArray: nine }, 9],
  ['States.ArrayUnique($Input.inputArray)', { inputArray: [1, 2, 3, 3, 3, 3, 3, 3, 4] }, [1, 2, 3, 4]],
  ['States.Base64Encode($Input.input)', { input: 'Data to encode' }, 'RGF0YSB0byBlbmNvZGU='],
  ['States.Base64Decode($Input.base64)', { base64: 'RGF0YSB0byBlbmNvZGU=' }, 'Data to encode'],
  ['base64Decode(base64Encode("Grüße, 世界 🎬"))', {}, 'Grüße, 世界 🎬'],
  [
    'States.JsonMerge($Input.json1, $Input.json2, false)',
    { json1: { a: { a1: 1, a2: 2 }, b: 2 }, json2: { a: { a3: 1, a4: 2 }, c: 3 } },
    { a: { a3: 1, a4: 2 }, b: 2, c: 3 },
  ],
  ['States.MathAdd($Input.value1, $Input.step)', { value1: 111, step: -1 }, 110],
  ['States.StringSplit($Input.inputString, $Input.splitter)', { inputString: '1,2,3,4,5', splitter: ',' }, ['1', '2', '3', '4', '5']],
  ['States.StringSplit($Input.inputString, $Input.splitter)', { inputString: 'This.is+a,test=string', splitter: '.+,=' }, ['This', 'is', 'a', 'test', 'string']],
  // lower-camel spellings of the States.* functions, and nesting (after the documentation's ARN example).
  ['arrayPartition([1, 2, 3], 2)', {}, [[1, 2], [3]]],
  ['arrayLength(stringSplit("a b c", " "))', {}, 3],
  [
    "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($Input.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($Input.Arn, '/'), 2), '.'), 1))",
    { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/x/1.2.3' },
    '1.2',
  ],
];

describe('intrinsic functions: documented examples', () => {
  for (const [expression, input, expected] of DOCUMENTED) {
    it(expression, () => assert.deepEqual(run(expression, input), expected));
  }

  it('every hash algorithm matches node:crypto, over block boundaries and non-ASCII text', () => {
    const algorithms: [string, string, (b: number[]) => string][] = [
      ['MD5', 'md5', md5],
      ['SHA-1', 'sha1', sha1],
      ['SHA-256', 'sha256', sha256],
      ['SHA-384', 'sha384', sha384],
      ['SHA-512', 'sha512', sha512],
    ];
    const texts = ['', 'abc', 'input data', 'Grüße 世界 🎬', ...[55, 56, 63, 64, 111, 112, 127, 128, 1000].map((n) => randomBytes(n).toString('base64').slice(0, n))];
    for (const [name, nodeName, own] of algorithms) {
      for (const text of texts) {
        const expected = createHash(nodeName).update(text, 'utf8').digest('hex');
        assert.equal(own(utf8Encode(text)), expected, `${name} of ${JSON.stringify(text)}`);
        assert.equal(run(`States.Hash($Input.t, "${name}")`, { t: text }), expected);
      }
    }
  });

  it('uuid: version 4, and the same seeded source gives the same ids (replay), another seed others', () => {
    const ids = (seed: number) => {
      const env = seededEnv(seed);
      return [run('uuid()', {}, env), run('States.UUID()', {}, env)];
    };
    const first = ids(7);
    for (const id of first) assert.match(id as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(first[0], first[1]);
    assert.deepEqual(ids(7), first);
    assert.notDeepEqual(ids(8), first);
  });

  it('mathRandom / randomInt: start inclusive, end exclusive; a seed argument fixes the number', () => {
    const env = seededEnv(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const n = run('States.MathRandom(1, 4)', {}, env) as number;
      assert.ok(Number.isInteger(n) && n >= 1 && n < 4, String(n));
      seen.add(n);
      const m = run('randomInt($Input.a, $Input.b)', { a: -5, b: 5 }, env) as number;
      assert.ok(Number.isInteger(m) && m >= -5 && m < 5, String(m));
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
    const seeded = run('States.MathRandom(1, 999, 1234)', {}, seededEnv(1));
    assert.equal(run('States.MathRandom(1, 999, 1234)', {}, seededEnv(99)), seeded, 'the seed, not the source, decides');
  });

  it('conditions may call functions too', () => {
    assert.equal(evaluateCondition('length($Input.list) > 2 && arrayContains($Input.list, "b")', scopeOf({ list: ['a', 'b', 'c'] })), true);
    assert.equal(evaluateCondition('States.ArrayLength($Input.list) == 2', scopeOf({ list: ['a', 'b', 'c'] })), false);
  });

  it('constructors evaluate function calls in .$ keys and leave other values alone', () => {
    const out = construct({ 'greeting.$': "format('Hello, {}', $Input.user)", plain: 'format("x")', 'id.$': 'States.ArrayGetItem($Input.ids, 0)' }, scopeOf({ user: 'Tom', ids: [9] }));
    assert.deepEqual(out, { greeting: 'Hello, Tom', plain: 'format("x")', id: 9 });
  });
});

// [expression, input, what the error says]
const BAD_CALLS: [string, unknown, RegExp][] = [
  ['format("{} and {}", "one")', {}, /format: the template has more \{\} placeholders than the 1 value/],
  ['States.Format("{}", 1, 2)', {}, /1 \{\} placeholder\(s\) but 2 value/],
  ['States.Format("{} {}", "a", $Input.missing)', {}, /argument 3 is nothing \(a missing path\?\)/],
  ['States.ArrayPartition($Input.a, 0)', { a: [1] }, /argument 2 must be a whole number above 0, got 0/],
  ['States.ArrayPartition("abc", 2)', {}, /argument 1 must be an array, got "abc"/],
  ['States.ArrayGetItem($Input.a, 3)', { a: [1, 2] }, /index 3 is outside the array of 2 item/],
  ['States.ArrayRange(1, 2000, 1)', {}, /2000 items, over the limit of 1000/],
  ['States.ArrayRange(1, 5, 0)', {}, /step must not be 0/],
  ['States.MathAdd(1.5, 1)', {}, /argument 1 must be a whole number, got 1.5/],
  ['States.MathRandom(5, 5)', {}, /end 5 must be above the start 5/],
  ['States.Base64Decode("not base64!")', {}, /is not Base64/],
  ['States.StringToJson("{nope")', {}, /argument 1 is not JSON/],
  ['States.Hash("abc", "CRC32")', {}, /unknown algorithm "CRC32"/],
  ['States.Hash($Input.missing, "MD5")', {}, /argument 1 must be a string, got nothing \(a missing path\?\)/],
  ['States.JsonMerge({"a": 1}, {"b": 2}, true)', {}, /only a shallow merge/],
  ['jsonMerge({"a": 1}, [1])', {}, /argument 2 must be a JSON object/],
  ['length(5)', {}, /must be a string, an array or a JSON object, got 5/],
  ['regexMatchString("(", "x")', {}, /bad regular expression/],
];

// Found while parsing, so `flow validate` refuses them before anything runs.
const BAD_SYNTAX: [string, RegExp][] = [
  ['States.Nope(1)', /unknown function "States.Nope"/],
  ['frobnicate()', /unknown function "frobnicate"/],
  ['States.ArrayLength()', /States.ArrayLength takes 1 argument\(s\), not 0/],
  ['States.MathRandom(1)', /takes 2 to 3 argument\(s\), not 1/],
  ['format()', /takes at least 1 argument\(s\), not 0/],
  ['uuid(1)', /takes 0 argument\(s\), not 1/],
  ['length(length(length(length(length(length(length(length(length(length(length("x")))))))))))', /more than 10 nested function calls/],
  ['jsonMerge({a: 1}, {})', /object key must be a quoted string/],
];

describe('intrinsic functions: failures', () => {
  for (const [expression, input, message] of BAD_CALLS) {
    it(`${expression} fails`, () => {
      assert.throws(() => run(expression, input), (err: unknown) => err instanceof IntrinsicError && message.test(err.message));
    });
  }
  for (const [expression, message] of BAD_SYNTAX) {
    it(`${expression} is refused when parsed`, () => {
      assert.throws(() => run(expression), (err: unknown) => err instanceof ExpressionError && message.test(err.message));
      assert.throws(() => checkCondition(`${expression} == 1`), message);
    });
  }

  it('ten nested calls are allowed', () => {
    assert.equal(run('length(toArray(toArray(toArray(toArray(toArray(toArray(toArray(toArray(toArray(1))))))))))'), 1);
  });

  it('a constructor names the key and the expression of a failed call', () => {
    assert.throws(
      () => construct({ nested: { 'item.$': 'States.ArrayGetItem($Input.a, 5)' } }, scopeOf({ a: [] })),
      (err: unknown) => err instanceof IntrinsicError && err.message === 'item.$ "States.ArrayGetItem($Input.a, 5)": States.ArrayGetItem: index 5 is outside the array of 0 item(s)',
    );
  });

  it('flow validate refuses unknown functions and wrong argument counts, naming the state and the expression', () => {
    const def = cloud([
      { Name: 'A', Type: 'Pass', InputConstructor: { 'x.$': 'States.Frobnicate($Input)' }, Next: 'B' },
      { Name: 'B', Type: 'Pass', OutputConstructor: { 'y.$': 'States.ArrayLength(1, 2)' }, Next: 'C' },
      { Name: 'C', Type: 'Choice', Branches: [{ Condition: 'nope($Input.a)', Next: 'D' }], Default: 'D' },
      { Name: 'D', Type: 'Wait', 'Seconds.$': 'lengthh($Input.list)', Next: 'E' },
      { Name: 'E', Type: 'Wait', SecondsPath: '$Input.s', TimestampPath: '$Input.t', End: true },
    ]);
    const errors = validateDefinition(def);
    assert.deepEqual(errors, [
      'state "A": InputConstructor.x.$: bad expression "States.Frobnicate($Input)": unknown function "States.Frobnicate"',
      'state "B": OutputConstructor.y.$: bad expression "States.ArrayLength(1, 2)": States.ArrayLength takes 1 argument(s), not 2',
      'state "C" branch 1: bad condition "nope($Input.a)": unknown function "nope"',
      'state "D": Seconds.$: bad expression "lengthh($Input.list)": unknown function "lengthh"',
      'state "E": Wait takes one of SecondsPath, TimestampPath, not several',
    ]);
  });

  it('valid calls and dynamic waits pass validation', () => {
    const def = cloud([
      { Name: 'A', Type: 'Pass', InputConstructor: { 'id.$': 'States.UUID()', 'n.$': 'length($Input.list)' }, Next: 'B' },
      { Name: 'B', Type: 'Wait', 'Seconds.$': '$Input.n', Next: 'C' },
      { Name: 'C', Type: 'Wait', SecondsPath: '$Input.n', Next: 'D' },
      { Name: 'D', Type: 'Wait', TimestampPath: '$Input.at', End: true },
    ]);
    assert.deepEqual(validateDefinition(def), []);
  });

  it('the documented names are all callable', () => {
    for (const name of ['format', 'length', 'regexMatchString', 'split', 'arrayContains', 'arrayUnique', 'toArray', 'mapKeys', 'mapValues', 'toBase64', 'fromBase64', 'hash', 'uuid', 'stringToJson', 'jsonToString', 'jsonMerge']) {
      assert.ok(INTRINSIC_NAMES.includes(name), name);
    }
    for (const name of ['Format', 'StringToJson', 'JsonToString', 'Array', 'ArrayPartition', 'ArrayContains', 'ArrayRange', 'ArrayGetItem', 'ArrayLength', 'ArrayUnique', 'Base64Encode', 'Base64Decode', 'Hash', 'JsonMerge', 'MathRandom', 'MathAdd', 'StringSplit', 'UUID']) {
      assert.ok(INTRINSIC_NAMES.includes(`States.${name}`), name);
    }
  });
});
