// Callback tasks and $Context.Task.RetryCount, as Alibaba documents them,
// against a real dev server with the real workflow: CloudFlow
// `TaskMode: WaitForCustomCallback` and FDL `pattern: waitForCallback` hand
// their function a task token, then wait for `shardflow flow callback`
// (run as a child process, as a user would) to report the output or an error.
// The functions are stand-ins that keep the tokens they receive.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/core/contracts';
import { describeFlowQuery, RUN_FLOW_WORKFLOW, taskCallbackUpdate, type RunFlowInput } from '../../src/core/flow/flowNames';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { cliRunner } from '../support/cliRunner';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { eventually, until } from '../support/until';

type Event = Record<string, any>;

/** Every event each key's function received, in order. */
const received = new Map<string, Event[]>();

const functions: Record<string, (e: Event) => Promise<unknown>> = {
  /** Keeps the event (and so the token), as a function that hands the token to a person or a queue would. */
  remember: async (e) => {
    received.set(e.key, [...(received.get(e.key) ?? []), e]);
    return { handedOver: true };
  },
  /** Fails while the attempt's retry count is below `failUntil`. */
  countRetries: async (e) => {
    received.set(e.key, [...(received.get(e.key) ?? []), e]);
    if (e.retryCount < e.failUntil) throw ApplicationFailure.create({ type: 'NotYet', message: `retry count ${e.retryCount}` });
    return { done: e.retryCount };
  },
};

const standIns = {
  invokeFunction: async (input: InvokeFunctionInput) => functions[input.functionName](input.event as Event),
} as unknown as Partial<Activities>;

const fn = (name: string) => `acs:fc:::functions/${name}`;
const cloud = (states: unknown[]) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: (states[0] as { Name: string }).Name, States: states });
const fdl = (steps: unknown[]) => ({ version: 'v1', type: 'flow', steps });

let env: TestEnv;
let cli: ReturnType<typeof cliRunner>;
before(async () => {
  env = await createTestEnv({ activities: standIns });
  cli = cliRunner(env);
});
after(async () => env.close());

function start(definition: unknown, input: unknown = {}) {
  const args: RunFlowInput = { definition, input };
  return env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-cb-${randomUUID()}`, args: [args] });
}

/** The `n`th event (from 1) the function received under `key`, once it has. */
function event(key: string, n = 1): Promise<Event> {
  return until(`event ${n} for ${key} at the function`, () => (received.get(key) ?? [])[n - 1], 15, 50);
}

/** A Task that hands `$Context.Task.Token` to `remember` and waits for the callback. */
const callbackState = (key: string, extra: Record<string, unknown> = {}) => ({
  Name: 'Approve',
  Type: 'Task',
  Action: 'FC:InvokeFunction',
  TaskMode: 'WaitForCustomCallback',
  Parameters: { resourceArn: fn('remember'), body: { key, 'token.$': '$Context.Task.Token', 'item.$': '$Input.item' } },
  ...extra,
});

describe('CloudFlow TaskMode: WaitForCustomCallback', () => {
  it('the function gets a task token; `flow callback --output` completes the task with that output; the token is then refused', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const handle = await start(
      cloud([callbackState(key, { OutputConstructor: { 'approved.$': '$Output.approved', 'by.$': '$Output.by', 'item.$': '$Input.item' }, Next: 'Done' }), { Name: 'Done', Type: 'Succeed' }]),
      { item: 'invoice-7' },
    );
    const { token, item } = await event(key);
    assert.equal(item, 'invoice-7');
    assert.equal(typeof token, 'string');

    // Not answered yet: the execution waits.
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    const sent = Date.now();
    let res = await cli(['flow', 'callback', token, '--output', '{"approved": true, "by": "ops"}']);
    const answered = Date.now() - sent;
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.match(res.stdout, new RegExp(`state "Approve" of flow execution ${handle.workflowId} succeeded`));
    assert.deepEqual(await handle.result(), { approved: true, by: 'ops', item: 'invoice-7' });
    process.stdout.write(`# flow callback: CLI process ${answered} ms; callback sent to execution finished ${Date.now() - sent} ms\n`);

    // A token is answered once; an execution that has finished answers nothing.
    res = await cli(['flow', 'callback', token, '--output', '{}']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /task token refused: execution .* is not running/);
    res = await cli(['flow', 'callback', 'not-a-token', '--output', '{}']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /"not-a-token" is not a task token/);
  });

  it('an answered token and a token the execution never issued are refused while it runs', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const handle = await start(cloud([callbackState(key, { Next: 'Again' }), { ...callbackState(`${key}-2`), Name: 'Again', End: true }]));
    const first = (await event(key)).token as string;
    let res = await cli(['flow', 'callback', first, '--output', '{"n": 1}', '--json']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { executionId: handle.workflowId, stateName: 'Approve', status: 'SUCCEEDED' });
    const second = (await event(`${key}-2`)).token as string;
    assert.notEqual(second, first, 'each task has a token of its own');

    res = await cli(['flow', 'callback', first, '--output', '{}']);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /task token refused: .*was already answered \(state "Approve"\)/);
    const forged = `${second.slice(0, second.lastIndexOf('.'))}.${randomUUID()}`;
    res = await cli(['flow', 'callback', forged, '--error', 'X']);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, new RegExp(`names no task that execution ${handle.workflowId} is waiting for`));

    res = await cli(['flow', 'callback', second, '--output', '{"n": 2}']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await handle.result(), { n: 2 });
  });

  it('`flow callback --error` fails the task with that name: Retry gives a new token, then Catch handles it', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const handle = await start(
      cloud([
        callbackState(key, {
          Retry: [{ Errors: ['Rejected'], IntervalSeconds: 0, MaxAttempts: 1 }],
          Catch: [{ Errors: ['Rejected'], Next: 'Escalate', OutputConstructor: { 'error.$': '$Output.Error', 'cause.$': '$Output.Cause' } }],
          Next: 'Never',
        }),
        { Name: 'Never', Type: 'Fail', Error: 'Wrong', Cause: 'the catch should have routed elsewhere' },
        { Name: 'Escalate', Type: 'Pass', End: true },
      ]),
    );
    const first = (await event(key, 1)).token as string;
    let res = await cli(['flow', 'callback', first, '--error', 'Rejected', '--cause', 'amount over the limit']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /state "Approve" .* failed with Rejected/);
    const retried = (await event(key, 2)).token as string;
    assert.notEqual(retried, first, 'the retry sent a new token');
    res = await cli(['flow', 'callback', retried, '--error', 'Rejected', '--cause', 'still over']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await handle.result(), { error: 'Rejected', cause: 'still over' });
  });

  it('TimeoutSeconds bounds the wait: FnF.TaskTimeout, caught; a late answer is refused', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const begun = Date.now();
    const handle = await start(
      cloud([
        callbackState(key, { TimeoutSeconds: 2, Catch: [{ Errors: ['FnF.TaskTimeout'], Next: 'TimedOut' }], End: true }),
        { Name: 'TimedOut', Type: 'Wait', Seconds: 4, Next: 'Done' },
        { Name: 'Done', Type: 'Pass', End: true },
      ]),
    );
    const { token } = await event(key);
    // While the execution waits in the next state, the late answer is refused with the reason.
    let d = await handle.query(describeFlowQuery);
    await eventually(async () => (d = await handle.query(describeFlowQuery)).currentStates.includes('TimedOut'), 10);
    assert.deepEqual(d.currentStates, ['TimedOut']);
    let res = await cli(['flow', 'callback', token, '--output', '{}']);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /task token refused: .*timed out after 2 s \(state "Approve"\)/);
    const out = (await handle.result()) as { Error: string; Cause: string };
    const took = Date.now() - begun;
    assert.equal(out.Error, 'FnF.TaskTimeout');
    assert.equal(out.Cause, 'state "Approve": no callback for its task token within 2 s');
    assert.ok(took >= 6000 && took < 20_000, `took ${took} ms`);
    const timers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    assert.equal(timers, 2, 'one Temporal timer for the callback wait, one for the Wait state');
    // The execution has finished: the CLI says it is not running.
    res = await cli(['flow', 'callback', token, '--output', '{}']);
    assert.equal(res.code, 4, res.stderr);
  });

  it('an uncaught callback error fails the execution with its name and cause', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const handle = await start(cloud([callbackState(key, { End: true })]));
    const { token } = await event(key);
    await handle.executeUpdate(taskCallbackUpdate, { args: [{ token, error: 'Denied', cause: 'by policy' }] });
    await assert.rejects(handle.result(), (err: unknown) => {
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      assert.equal(cause.type, 'Denied');
      assert.equal(cause.message, 'by policy');
      return true;
    });
  });
});

describe('FDL pattern: waitForCallback', () => {
  it('inputMappings pass $context.task.token; the callback output is $local for outputMappings', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const handle = await start(
      fdl([
        {
          type: 'task',
          name: 'mytask',
          resourceArn: 'acs:fc:::services/fnf-demo/functions/remember',
          pattern: 'waitForCallback',
          inputMappings: [
            { target: 'taskToken', source: '$context.task.token' },
            { target: 'key', source: key },
          ],
          outputMappings: [{ target: 'k', source: '$local.key' }],
        },
      ]),
    );
    const { taskToken } = await event(key);
    const res = await cli(['flow', 'callback', taskToken, '--output', '{"key": "value"}']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await handle.result(), { k: 'value' });
  });
});

describe('$Context.Task.RetryCount', () => {
  it('is 0 on the first attempt, then the retries so far; the OutputConstructor sees the attempt that succeeded', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const out = await (
      await start(
        cloud([
          {
            Name: 'Work',
            Type: 'Task',
            Resource: fn('countRetries'),
            Parameters: { body: { key, failUntil: 3, 'retryCount.$': '$Context.Task.RetryCount', 'current.$': '$Context.Current.RetryCount' } },
            Retry: [
              { Errors: ['Other'], IntervalSeconds: 0, MaxAttempts: 5 },
              { Errors: ['NotYet'], IntervalSeconds: 0.1, MaxAttempts: 3, BackoffRate: 1 },
            ],
            OutputConstructor: { 'done.$': '$Output.Body.done', 'retries.$': '$Context.Task.RetryCount' },
            End: true,
          },
        ]),
      )
    ).result();
    assert.deepEqual(
      (received.get(key) ?? []).map((e) => [e.retryCount, e.current]),
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
    assert.deepEqual(out, { done: 3, retries: 3 });
  });
});
