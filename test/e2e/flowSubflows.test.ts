// FDL subflows (`resourceArn: acs:fnf:::flow/<name>`, `pattern: sync`) as
// child runFlow executions, flow-level input/output mappings, and Funcraft's
// `!Ref Service/Function` tag, against a real dev server with the real
// workflow. The functions behind tasks are stand-ins.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/core/contracts';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { cliRunner } from '../support/cliRunner';
import { createTestEnv, type TestEnv } from '../support/testEnv';

type Event = Record<string, any>;

/** Which service and function each call named, by the event's key. */
const calledAs = new Map<string, string>();

const standIns = {
  invokeFunction: async (input: InvokeFunctionInput) => {
    const e = input.event as Event;
    if (e.key) calledAs.set(e.key, `${input.service ?? ''}/${input.functionName}`);
    if (input.functionName === 'add') return { sum: e.a + e.b };
    return e;
  },
} as unknown as Partial<Activities>;

const fdl = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ version: 'v1', type: 'flow', steps, ...extra });
const subflowStep = (name: string, flow: string, extra: Record<string, unknown> = {}) => ({ type: 'task', name, resourceArn: `acs:fnf:::flow/${flow}`, pattern: 'sync', ...extra });

let env: TestEnv;
before(async () => {
  env = await createTestEnv({ activities: standIns });
});
after(async () => env.close());

function start(definition: unknown, input: unknown, subflows: Record<string, unknown>) {
  const args: RunFlowInput = { definition, input, subflows };
  return env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-sub-${randomUUID()}`, args: [args] });
}

async function failureOf(handle: { result(): Promise<unknown> }): Promise<ApplicationFailure> {
  try {
    await handle.result();
  } catch (err) {
    return (err as WorkflowFailedError).cause as ApplicationFailure;
  }
  assert.fail('the execution succeeded');
}

/** A child flow that adds $input.a and $input.b, nesting a grandchild that marks its output. */
const adder = fdl([
  { type: 'task', name: 'add', resourceArn: 'acs:fc:::functions/add' },
  subflowStep('mark', 'marker'),
]);
const marker = fdl([{ type: 'pass', name: 'mark', outputMappings: [{ target: 'marked', source: true }] }]);
/** A child flow that fails with its own error name. */
const refuser = fdl([{ type: 'fail', name: 'no', error: 'ChildRefused', cause: 'the child said no' }]);

describe('FDL sync subflows', () => {
  it("the child's output is the step's local; serviceParams Input and ExecutionName; nested subflows run as child executions", { timeout: 60_000 }, async () => {
    const childName = `child-${randomUUID()}`;
    const handle = await start(
      fdl([
        subflowStep('sum', 'adder', {
          inputMappings: [
            { target: 'a', source: '$input.x' },
            { target: 'b', source: 5 },
            { target: 'childName', source: '$input.childName' },
          ],
          serviceParams: { Input: '$', ExecutionName: '$.childName' },
          outputMappings: [
            { target: 'total', source: '$local.sum' },
            { target: 'marked', source: '$local.marked' },
          ],
        }),
      ]),
      { x: 37, childName },
      { adder, marker },
    );
    assert.deepEqual(await handle.result(), { total: 42, marked: true });
    const child = await env.client.workflow.getHandle(childName).describe();
    assert.equal(child.type, 'runFlow');
    assert.equal(child.status.name, 'COMPLETED');
    assert.equal(child.parentExecution?.workflowId, handle.workflowId);
    const grandchild = await env.client.workflow.getHandle(`${childName}.flow-1`).describe();
    assert.equal(grandchild.parentExecution?.workflowId, childName);
    assert.deepEqual(await env.client.workflow.getHandle(childName).result(), { sum: 42, marked: true }, "the child's output is its local");
  });

  it("a failed child fails the step with the child's error name: catch handles it, or the parent fails with it; timeoutSeconds times the child out", { timeout: 60_000 }, async () => {
    const caught = await start(
      fdl([subflowStep('ask', 'refuser', { catch: [{ errors: ['ChildRefused'], goto: 'fallback' }] }), { type: 'pass', name: 'skipped', outputMappings: [{ target: 'skipped', source: true }] }, { type: 'pass', name: 'fallback', outputMappings: [{ target: 'fellBack', source: true }] }]),
      {},
      { refuser },
    );
    assert.deepEqual(await caught.result(), { fellBack: true });

    const uncaught = await start(fdl([subflowStep('ask', 'refuser')]), {}, { refuser });
    const cause = await failureOf(uncaught);
    assert.equal(cause.type, 'ChildRefused');
    assert.equal(cause.message, 'the child said no');
    assert.equal((await env.client.workflow.getHandle(`${uncaught.workflowId}.flow-1`).describe()).status.name, 'FAILED');

    // timeoutSeconds is the child's execution timeout: FnF.TaskTimeout in the parent.
    const slow = fdl([{ type: 'wait', name: 'nap', duration: 30 }]);
    const timed = await start(fdl([subflowStep('ask', 'slow', { timeoutSeconds: 1, catch: [{ errors: ['FnF.TaskTimeout'], goto: 'late' }] }), { type: 'pass', name: 'late', outputMappings: [{ target: 'late', source: true }] }]), {}, { slow });
    assert.deepEqual(await timed.result(), { late: true });
    assert.equal((await env.client.workflow.getHandle(`${timed.workflowId}.flow-1`).describe()).status.name, 'TIMED_OUT');
  });

  it('a subflow whose definition is missing fails InvalidJob before anything runs', { timeout: 30_000 }, async () => {
    const handle = await start(fdl([{ type: 'task', name: 'first', resourceArn: 'acs:fc:::functions/echo' }, subflowStep('ask', 'nowhere')]), {}, { adder, marker });
    const cause = await failureOf(handle);
    assert.equal(cause.type, 'InvalidJob');
    assert.match(cause.message, /step "ask": no definition of flow "nowhere" \(known: adder, marker\)/);
    const scheduled = ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes);
    assert.equal(scheduled.length, 0);
  });
});

describe('FDL flow-level mappings', () => {
  it('inputMappings shape the execution input; outputMappings map the input and local to the output', { timeout: 30_000 }, async () => {
    const handle = await start(
      fdl([{ type: 'task', name: 'add', resourceArn: 'acs:fc:::functions/add' }], {
        inputMappings: [
          { target: 'a', source: '$input.left' },
          { target: 'b', source: 2 },
        ],
        outputMappings: [
          { target: 'result', source: '$local.sum' },
          { target: 'from', source: '$input.a' },
        ],
      }),
      { left: 40, ignored: true },
      {},
    );
    assert.deepEqual(await handle.result(), { result: 42, from: 40 });
  });
});

describe('flow files: subflows by name and !Ref', () => {
  const cli = () => cliRunner(env);

  it('flow run finds a subflow beside the definition, resolves !Ref Service/Function, and validate names a missing subflow', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const dir = env.dir;
    writeFileSync(
      path.join(dir, 'parent.yaml'),
      [
        'version: v1',
        'type: flow',
        'steps:',
        '  - type: task',
        '    name: call',
        '    resourceArn: !Ref billing/add',
        '  - type: task',
        '    name: child',
        '    resourceArn: acs:fnf:::flow/tagger',
        '    pattern: sync',
        'outputMappings:',
        '  - target: sum',
        '    source: $local.sum',
        '  - target: tag',
        '    source: $local.tag',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'tagger.yml'), `version: v1\ntype: flow\nsteps:\n  - type: task\n    name: echo\n    resourceArn: !Ref echo\n    inputMappings:\n      - target: tag\n        source: tagged\n      - target: key\n        source: ${key}\n`);
    const addKey = randomUUID();
    let res = await cli()(['flow', 'run', path.join(dir, 'parent.yaml'), '--input', JSON.stringify({ a: 1, b: 2, key: addKey }), '--wait', '--json'], { SHARDFLOW_FLOW_FUNCTIONS: 'add,echo' });
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.deepEqual(JSON.parse(res.stdout).output, { sum: 3, tag: 'tagged' });
    assert.equal(calledAs.get(addKey), 'billing/add', '!Ref billing/add names service billing, function add');
    assert.equal(calledAs.get(key), '/echo', '!Ref echo names the function echo');

    writeFileSync(path.join(dir, 'orphan.yaml'), 'version: v1\ntype: flow\nsteps:\n  - type: task\n    name: lost\n    resourceArn: acs:fnf:::flow/missing\n    pattern: sync\n');
    res = await cli()(['flow', 'validate', path.join(dir, 'orphan.yaml')]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /step "lost": no definition of flow "missing" \(none given\)/);
    assert.match(res.stderr, /read from <name>\.yaml, \.yml or \.json in /);
    res = await cli()(['flow', 'validate', path.join(dir, 'orphan.yaml'), '--flows', path.join(dir, 'more')]);
    assert.match(res.stderr, new RegExp(`${path.join(dir, 'more').replace(/[/.-]/g, '\\$&')}`));
  });
});
