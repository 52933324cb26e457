// validateDefinition: a bad definition is refused before anything runs, with
// the state (step) and the reason in every message. Also YAML/JSON parsing and
// the Retry arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowKind } from '../../src/core/flow/definition';
import { parseDefinitionText, knownFunctionNames } from '../../src/cli/flowFile';
import { errorMatches, flowErrorNameOfType, retryDelaySeconds, retryRuleOf } from '../../src/core/flow/flowErrors';
import { validateDefinition } from '../../src/core/flow/validate';

const KNOWN = ['split', 'transcode', 'merge', 'after-process', 'echo'];

const cloud = (states: unknown[], startAt = 'A') => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: startAt, States: states });
const fdl = (steps: unknown[]) => ({ version: 'v1', type: 'flow', steps });

function expectError(def: unknown, ...patterns: RegExp[]): void {
  const errors = validateDefinition(def, KNOWN);
  for (const p of patterns) assert.ok(errors.some((e) => p.test(e)), `expected an error matching ${p}, got ${JSON.stringify(errors)}`);
}

describe('parsing', () => {
  it('reads YAML and JSON, and tells the two specs apart', () => {
    const y = parseDefinitionText('Type: StateMachine\nSpecVersion: v1\nStartAt: A\nStates:\n  - Name: A\n    Type: Pass\n    End: true\n');
    assert.equal(flowKind(y), 'cloudflow');
    assert.deepEqual(validateDefinition(y, KNOWN), []);
    const j = parseDefinitionText(JSON.stringify(fdl([{ name: 's', type: 'pass' }])));
    assert.equal(flowKind(j), 'fdl');
    assert.deepEqual(validateDefinition(j, KNOWN), []);
    assert.throws(() => parseDefinitionText('a: [', 'f.yaml'), /f\.yaml is neither YAML nor JSON/);
    assert.deepEqual(validateDefinition({ hello: 1 }, KNOWN), ['the definition is neither CloudFlow (Type: StateMachine, States) nor FDL (type: flow, steps)']);
  });
  it("Funcraft's !Ref Service/Function (or Function) stands for the function's resource", () => {
    const def = parseDefinitionText('version: v1\ntype: flow\nsteps:\n  - type: task\n    name: a\n    resourceArn: !Ref video-demo/split\n  - type: task\n    name: b\n    resourceArn: !Ref echo\n') as { steps: { resourceArn: string }[] };
    assert.deepEqual(
      def.steps.map((s) => s.resourceArn),
      ['acs:fc:::services/video-demo/functions/split', 'acs:fc:::functions/echo'],
    );
    assert.deepEqual(validateDefinition(def, KNOWN), []);
    assert.throws(() => parseDefinitionText('resourceArn: !Ref a/b/c\n', 'f.yaml'), /f\.yaml is neither YAML nor JSON: !Ref "a\/b\/c" does not name a function as Service\/Function or Function/);
  });

  it('known functions: built-ins plus SHARDFLOW_FLOW_FUNCTIONS', () => {
    assert.deepEqual(knownFunctionNames({ SHARDFLOW_FLOW_FUNCTIONS: ' a, b ,,' }), ['split', 'transcode', 'merge', 'after-process', 'extract-audio', 'a', 'b']);
  });
});

describe('CloudFlow validation names the state and the reason', () => {
  it('accepts a definition using every state type', () => {
    const def = cloud([
      { Name: 'A', Type: 'Pass', InputConstructor: { 'x.$': '$Input.x' }, Next: 'T' },
      { Name: 'T', Type: 'Task', Resource: 'acs:fc:::functions/echo', Retry: [{ Errors: ['FnF.ALL'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }], Catch: [{ Errors: ['FnF.ALL'], Next: 'F' }], Next: 'C' },
      { Name: 'C', Type: 'Choice', Branches: [{ Condition: '$Input.x > 1', Next: 'P' }], Default: 'M' },
      { Name: 'P', Type: 'Parallel', Branches: [{ StartAt: 'p1', States: [{ Name: 'p1', Type: 'Pass', End: true }] }], Next: 'W' },
      { Name: 'M', Type: 'Map', ItemsPath: '$Input.items', MaxConcurrency: 2, Processor: { StartAt: 'm1', States: [{ Name: 'm1', Type: 'Task', Action: 'FC:InvokeFunction', Parameters: { resourceArn: 'acs:fc:::services/s/functions/merge', 'body.$': '$Input' }, End: true }] }, Next: 'W' },
      { Name: 'W', Type: 'Wait', Seconds: 1, Next: 'H' },
      { Name: 'H', Type: 'Task', Action: 'HTTP:Request', Parameters: { Method: 'GET', URL: 'http://example.invalid/' }, Next: 'S' },
      { Name: 'S', Type: 'Succeed' },
      { Name: 'F', Type: 'Fail', Error: 'Boom', Cause: 'why' },
    ]);
    assert.deepEqual(validateDefinition(def, KNOWN), []);
  });
  it('unknown state type', () => expectError(cloud([{ Name: 'A', Type: 'Loop', End: true }]), /state "A": unknown state type "Loop"/));
  it('missing Next target', () => expectError(cloud([{ Name: 'A', Type: 'Pass', Next: 'Nowhere' }]), /state "A": Next target "Nowhere" is not a state/));
  it('neither Next nor End', () => expectError(cloud([{ Name: 'A', Type: 'Pass' }]), /state "A": needs Next or End: true/));
  it('bad StartAt', () => expectError(cloud([{ Name: 'A', Type: 'Pass', End: true }], 'Z'), /StartAt "Z" names no state/));
  it('duplicate names', () => expectError(cloud([{ Name: 'A', Type: 'Pass', Next: 'A' }, { Name: 'A', Type: 'Succeed' }]), /state "A": duplicate state name/));
  it('unknown resource: bad ARN and unknown function', () => {
    expectError(cloud([{ Name: 'A', Type: 'Task', Resource: 'arn:aws:lambda:x', End: true }]), /state "A": unknown resource arn:aws:lambda:x/);
    expectError(cloud([{ Name: 'A', Type: 'Task', Resource: 'acs:fc:::functions/nope', End: true }]), /state "A": unknown resource acs:fc:::functions\/nope: no function named "nope"/);
    expectError(cloud([{ Name: 'A', Type: 'Task', End: true }]), /state "A": a task needs a function resource/);
  });
  it('bad Retry fields', () => {
    expectError(
      cloud([{ Name: 'A', Type: 'Task', Resource: 'acs:fc:::functions/echo', Retry: [{ Errors: [], IntervalSeconds: -1, MaxAttempts: 1.5, BackoffRate: 0.5 }], End: true }]),
      /state "A": retry rule 1 needs Errors/,
      /state "A": retry rule 1 has bad IntervalSeconds -1/,
      /state "A": retry rule 1 has bad BackoffRate 0.5/,
      /state "A": retry rule 1 MaxAttempts must be a whole number/,
    );
  });
  it('bad Catch target, bad condition, bad path', () => {
    expectError(cloud([{ Name: 'A', Type: 'Task', Resource: 'acs:fc:::functions/echo', Catch: [{ Errors: ['X'], Next: 'Q' }], End: true }]), /state "A" catch rule 1: Next target "Q"/);
    expectError(cloud([{ Name: 'A', Type: 'Choice', Branches: [{ Condition: '$Input.x ==', Next: 'A' }] }]), /state "A" branch 1: bad condition/);
    expectError(cloud([{ Name: 'A', Type: 'Pass', OutputConstructor: { 'x.$': 'Input.x' }, End: true }]), /state "A": OutputConstructor.x.\$: bad path/);
  });
  it('errors inside branches and processors name the enclosing state', () => {
    expectError(
      cloud([{ Name: 'A', Type: 'Parallel', Branches: [{ StartAt: 'b', States: [{ Name: 'b', Type: 'Pass', Next: 'gone' }] }], End: true }]),
      /state "b" \(in A branch 1\): Next target "gone" is not a state of this branch/,
    );
    expectError(cloud([{ Name: 'A', Type: 'Map', End: true }]), /state "A": Map needs a Processor/);
    expectError(cloud([{ Name: 'A', Type: 'Wait', End: true }]), /state "A": Wait needs Seconds/);
    expectError(cloud([{ Name: 'A', Type: 'Task', Action: 'HTTP:Request', Parameters: { Method: 'GET' }, End: true }]), /state "A": HTTP:Request needs Parameters.URL/);
  });
});

describe('FDL validation names the step and the reason', () => {
  it('accepts every step type', () => {
    const def = fdl([
      { name: 't', type: 'task', resourceArn: 'acs:fc:::services/s/functions/echo', retry: [{ errors: ['FC.ResourceThrottled'], intervalSeconds: 1, maxAttempts: 2, multiplier: 2, maxIntervalSeconds: 5 }], catch: [{ errors: ['FnF.ALL'], goto: 'f' }] },
      { name: 'c', type: 'choice', choices: [{ condition: '$.x == 1', steps: [{ name: 'in', type: 'pass' }] }, { condition: '$.x == 2', goto: 'f' }], default: { goto: 'w' } },
      { name: 'p', type: 'parallel', branches: [{ steps: [{ name: 'b1', type: 'pass' }] }] },
      { name: 'e', type: 'foreach', iterationMapping: { collection: '$.items', item: 'item', index: 'i' }, steps: [{ name: 'each', type: 'pass' }] },
      { name: 'w', type: 'wait', duration: 1 },
      { name: 's', type: 'succeed' },
      { name: 'f', type: 'fail', error: 'E', cause: 'c' },
    ]);
    assert.deepEqual(validateDefinition(def, KNOWN), []);
  });
  it('reports each problem with the step name', () => {
    expectError(fdl([{ name: 'x', type: 'loop' }]), /step "x": unknown step type "loop"/);
    expectError(fdl([{ name: 'x', type: 'task', resourceArn: 'acs:fc:::functions/missing' }]), /step "x": unknown resource .*no function named "missing"/);
    expectError(fdl([{ name: 'x', type: 'pass' }, { name: 'x', type: 'pass' }]), /step "x": duplicate step name/);
    expectError(fdl([{ name: 'x', type: 'choice', choices: [{ condition: '$.a == 1', goto: 'nowhere' }] }]), /step "x" choice 1: goto target "nowhere"/);
    expectError(fdl([{ name: 'x', type: 'task', resourceArn: 'acs:fc:::functions/echo', retry: [{ errors: ['E'], multiplier: 0 }] }]), /step "x": retry rule 1 has bad multiplier 0/);
    expectError(fdl([{ name: 'x', type: 'foreach', steps: [{ name: 'y', type: 'pass' }] }]), /step "x": foreach needs iterationMapping/);
    expectError(fdl([{ name: 'x', type: 'choice', choices: [{ condition: '$.a == 1', steps: [{ name: 'y', type: 'nope' }] }] }]), /step "y" \(in x choice 1\): unknown step type/);
    expectError({ version: 'v2', type: 'flow', steps: [{ name: 'x', type: 'pass' }] }, /version must be v1 or v1beta1/);
  });
});

describe('error names and retry arithmetic', () => {
  it('wildcards match everything except the fatal errors', () => {
    assert.ok(errorMatches(['FnF.ALL'], 'Anything'));
    assert.ok(errorMatches(['States.ALL'], 'FC.ResourceThrottled'));
    assert.ok(!errorMatches(['FnF.ALL'], 'FnF.StepLimitExceeded'));
    assert.ok(errorMatches(['A', 'B'], 'B'));
    assert.ok(!errorMatches(['A'], 'B'));
  });
  it('dispatch failures fold into the documented FC names', () => {
    assert.equal(flowErrorNameOfType('FC.ResourceThrottled'), 'FC.ResourceThrottled');
    assert.equal(flowErrorNameOfType('FC.Timeout'), 'FnF.TaskTimeout');
    assert.equal(flowErrorNameOfType('FC.NetworkError'), 'FC.Unknown');
    assert.equal(flowErrorNameOfType('FC.Http418'), 'FC.Unknown');
    assert.equal(flowErrorNameOfType('MyError'), 'MyError');
  });
  it('delays grow by the backoff rate up to the cap; defaults 1 s, 3 retries, ×2', () => {
    const rule = retryRuleOf({ Errors: ['E'], IntervalSeconds: 2, BackoffRate: 3, MaxBackoffSeconds: 10 });
    assert.deepEqual([1, 2, 3].map((n) => retryDelaySeconds(rule, n)), [2, 6, 10]);
    const fdlRule = retryRuleOf({ errors: ['E'] });
    assert.deepEqual(fdlRule, { errors: ['E'], intervalSeconds: 1, maxAttempts: 3, backoffRate: 2, maxBackoffSeconds: undefined });
  });
});
