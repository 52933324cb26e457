// The integration modes a Task can use besides a plain call: callback tasks
// (their tokens) and sync subflows (their resources), as definitions are
// checked before anything runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlowResource, subflowNames } from '../../src/core/flow/subflows';
import { makeTaskToken, taskTokenWorkflowId } from '../../src/core/flow/taskTokens';
import { validateDefinition } from '../../src/core/flow/validate';

const KNOWN = ['echo'];
const cloud = (states: unknown[]) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'A', States: states });
const fdl = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ version: 'v1', type: 'flow', steps, ...extra });

describe('task tokens', () => {
  it('name the execution, whatever characters its id has', () => {
    for (const id of ['flow-x-1a2b3c', 'flow/with/slashes.and.dots', 'ünïcödé ✓', 'a']) {
      const token = makeTaskToken(id, '3f1e2d4c-0000-4000-8000-000000000000');
      assert.match(token, /^[A-Za-z0-9_=-]+\.[0-9a-f-]+$/, token);
      assert.equal(taskTokenWorkflowId(token), id);
    }
  });

  it('text that is not a token names no execution', () => {
    for (const bad of ['', 'abc', '.nonce', 'abc.', '!!!.nonce']) assert.equal(taskTokenWorkflowId(bad), undefined, bad);
  });
});

describe('subflow resources', () => {
  it('acs:fnf:::flow/<name>, with or without region and account', () => {
    assert.equal(parseFlowResource('acs:fnf:::flow/video_child'), 'video_child');
    assert.equal(parseFlowResource('acs:fnf:cn-hangzhou:123456:flow/post-actions-subflow'), 'post-actions-subflow');
    assert.equal(parseFlowResource('acs:fc:::functions/echo'), undefined);
    assert.equal(parseFlowResource('acs:fnf:::flow/'), undefined);
  });

  it('subflowNames lists each flow once, from every nested step list', () => {
    const def = fdl([
      { type: 'task', name: 'a', resourceArn: 'acs:fnf:::flow/one', pattern: 'sync' },
      { type: 'parallel', name: 'p', branches: [{ steps: [{ type: 'task', name: 'b', resourceArn: 'acs:fnf:::flow/two', pattern: 'sync' }] }] },
      { type: 'foreach', name: 'f', iterationMapping: { collection: '$.x', item: 'i' }, steps: [{ type: 'task', name: 'c', resourceArn: 'acs:fnf:::flow/one', pattern: 'sync' }] },
      { type: 'choice', name: 'ch', choices: [{ condition: '$.y', steps: [{ type: 'task', name: 'd', resourceArn: 'acs:fnf:::flow/three', pattern: 'sync' }] }] },
    ]);
    assert.deepEqual(subflowNames(def), ['one', 'two', 'three']);
  });
});

describe('validation of integration modes', () => {
  it('accepts callback tasks, sync subflows with their definitions, and flow-level mappings', () => {
    const errors = validateDefinition(
      fdl(
        [
          { type: 'task', name: 'wait', resourceArn: 'acs:fc:::functions/echo', pattern: 'waitForCallback' },
          { type: 'task', name: 'sub', resourceArn: 'acs:fnf:::flow/child', pattern: 'sync', serviceParams: { Input: '$', ExecutionName: '$.name' } },
        ],
        { inputMappings: [{ target: 'a', source: '$input.a' }], outputMappings: [{ target: 'b', source: '$local.b' }] },
      ),
      KNOWN,
      ['child'],
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(validateDefinition(cloud([{ Name: 'A', Type: 'Task', Resource: 'acs:fc:::functions/echo', TaskMode: 'WaitForCustomCallback', End: true }]), KNOWN), []);
  });

  it('names the step or state and the reason', () => {
    const expect = (errors: string[], pattern: RegExp) => assert.ok(errors.some((e) => pattern.test(e)), `${pattern} in ${JSON.stringify(errors)}`);
    expect(validateDefinition(cloud([{ Name: 'A', Type: 'Task', Resource: 'acs:fc:::functions/echo', TaskMode: 'WaitForSystemCallback', End: true }]), KNOWN), /state "A": TaskMode "WaitForSystemCallback" is not supported/);
    expect(validateDefinition(fdl([{ type: 'task', name: 's', resourceArn: 'acs:fc:::functions/echo', pattern: 'sync' }]), KNOWN), /step "s": pattern "sync" is not supported for a function/);
    expect(validateDefinition(fdl([{ type: 'task', name: 's', resourceArn: 'acs:fnf:::flow/child' }]), KNOWN, ['child']), /step "s": a subflow task needs pattern: sync .*not "requestResponse"/);
    expect(validateDefinition(fdl([{ type: 'task', name: 's', resourceArn: 'acs:fnf:::flow/child', pattern: 'sync' }]), KNOWN, []), /step "s": no definition of flow "child" \(none given\)/);
    expect(validateDefinition(fdl([{ type: 'task', name: 's', resourceArn: 'acs:fnf:::flow/child', pattern: 'sync', serviceParams: { Input: 'literal', Other: '$' } }]), KNOWN, ['child']), /serviceParams.Input must be a path/);
    expect(validateDefinition(fdl([{ type: 'task', name: 's', resourceArn: 'acs:fnf:::flow/child', pattern: 'sync', serviceParams: { Other: '$' } }]), KNOWN, ['child']), /serviceParams.Other is not supported/);
    expect(validateDefinition(fdl([{ type: 'pass', name: 'p' }], { outputMappings: [{ target: 'x' }] }), KNOWN), /the flow: outputMappings\[0\] needs target and source/);
  });
});
