// Conformance of the runFlow interpreter with the CloudFlow and FDL
// documentation, against a real dev server with the real workflow. The
// functions behind Task states are stand-ins that count calls, inject faults
// and measure concurrency; the real ones have their own tests. HTTP:Request
// runs the real activity against a local server.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/core/contracts';
import { describeFlowQuery, RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { AddressPolicy } from '../../src/activities/httpAddressPolicy';
import { httpRequest } from '../../src/activities/httpRequest';
import { cliRunner } from '../support/cliRunner';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { eventually } from '../support/until';

type Event = Record<string, any>;

const calls = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;

const functions: Record<string, (e: Event) => Promise<unknown>> = {
  echo: async (e) => e,
  add: async (e) => ({ sum: e.a + e.b }),
  /** Fails `failTimes` times per `key` with `errorType`, then answers how many calls it took. */
  flaky: async (e) => {
    const n = (calls.get(e.key) ?? 0) + 1;
    calls.set(e.key, n);
    if (n <= e.failTimes) throw ApplicationFailure.create({ type: e.errorType, message: `call ${n} of ${e.key} failed` });
    return { calls: n };
  },
  // Heartbeats, as real functions do while ffmpeg runs, so a cancellation reaches it.
  slow: async (e) => {
    const ctx = Context.current();
    for (let left = e.ms; left > 0; left -= 200) {
      ctx.heartbeat();
      await ctx.sleep(Math.min(200, left));
    }
    return { slept: e.ms };
  },
  track: async (e) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await Context.current().sleep(e.ms ?? 150);
    } finally {
      inFlight--;
    }
    return { seen: e.item ?? e };
  },
};

const standIns = {
  invokeFunction: async (input: InvokeFunctionInput) => {
    const fn = functions[input.functionName];
    if (!fn) throw ApplicationFailure.create({ type: 'FunctionNotFound', message: `no function ${input.functionName}`, nonRetryable: true });
    return fn(input.event as Event);
  },
  // The real activity; the hook server below is on loopback, which the worker must allow.
  httpRequest: httpRequest({ policy: new AddressPolicy(['127.0.0.1']) }),
} as unknown as Partial<Activities>;

/** Answers every request with what it received. */
const hook = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, path: req.url, body: Buffer.concat(chunks).toString() }));
  });
});
let hookUrl: string;

const fn = (name: string) => `acs:fc:::functions/${name}`;
const cloud = (states: unknown[], startAt?: string) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: startAt ?? (states[0] as { Name: string }).Name, States: states });
const fdl = (steps: unknown[]) => ({ version: 'v1', type: 'flow', steps });

let env: TestEnv;
before(async () => {
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  env = await createTestEnv({ activities: standIns });
});
after(async () => {
  await env.close();
  hook.closeAllConnections();
  hook.close();
});

function start(definition: unknown, input: unknown = {}, extra: Partial<RunFlowInput> = {}) {
  const args: RunFlowInput = { definition, input, ...extra };
  return env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-${randomUUID()}`, args: [args] });
}

async function output(definition: unknown, input: unknown = {}, extra: Partial<RunFlowInput> = {}): Promise<any> {
  return (await start(definition, input, extra)).result();
}

/** The execution's failure as a flow sees it: error name (ApplicationFailure type) and cause. */
async function failure(definition: unknown, input: unknown = {}, extra: Partial<RunFlowInput> = {}): Promise<{ type: string; message: string }> {
  const handle = await start(definition, input, extra);
  try {
    await handle.result();
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause;
    assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(cause)}`);
    return { type: cause.type ?? '', message: cause.message };
  }
  assert.fail('the execution succeeded');
}

describe('CloudFlow', () => {
  it('Pass, Task and Succeed with Input/OutputConstructor over $Input, $Output, $Context', async () => {
    const out = await output(
      cloud([
        { Name: 'Shape', Type: 'Pass', InputConstructor: { 'a.$': '$Input.x', b: 2, 'exec.$': '$Context.Execution.Input.x' }, Next: 'Add' },
        { Name: 'Add', Type: 'Task', Resource: fn('add'), OutputConstructor: { 'total.$': '$Output.Body.sum', 'was.$': '$Input.a', 'state.$': '$Context.Current.Name' }, Next: 'Done' },
        { Name: 'Done', Type: 'Succeed' },
      ]),
      { x: 40 },
    );
    assert.deepEqual(out, { total: 42, was: 40, state: 'Add' });
  });

  it('FC:InvokeFunction outputs FC\'s response: Body (JSON text parsed, other text kept), Headers, StatusCode', async () => {
    const call = (name: string, body: unknown) => ({ Name: name, Type: 'Task', Action: 'FC:InvokeFunction', Parameters: { resourceArn: fn('echo'), body } });
    const out = await output(
      cloud([
        { ...call('Obj', { 'v.$': '$Input.v' }), OutputConstructor: { 'obj.$': '$Output' }, Next: 'Json' },
        { ...call('Json', '{"parsed":true}'), InputConstructor: { 'obj.$': '$Input.obj' }, OutputConstructor: { 'obj.$': '$Input.obj', 'json.$': '$Output.Body' }, Next: 'Text' },
        { ...call('Text', 'plain words'), OutputConstructor: { 'obj.$': '$Input.obj', 'json.$': '$Input.json', 'text.$': '$Output' }, End: true },
      ]),
      { v: 7 },
    );
    assert.deepEqual(out.obj, { Body: { v: 7 }, Headers: { 'Content-Type': 'application/json' }, StatusCode: 200 });
    assert.deepEqual(out.json, { parsed: true });
    assert.deepEqual(out.text, { Body: 'plain words', Headers: { 'Content-Type': 'text/plain' }, StatusCode: 200 });
  });

  it('FC:InvokeFunction Parameters.body and HTTP:Request', async () => {
    const out = await output(
      cloud([
        { Name: 'Call', Type: 'Task', Action: 'FC:InvokeFunction', Parameters: { resourceArn: 'acs:fc:cn-hangzhou:123:services/svc/functions/echo/LATEST', invocationType: 'Sync', body: { 'v.$': '$Input.v' } }, Next: 'Http' },
        { Name: 'Http', Type: 'Task', Action: 'HTTP:Request', Parameters: { method: 'POST', 'url.$': '$Input.url', 'body.$': '$Input.payload' }, InputConstructor: { url: `${hookUrl}/x`, 'payload.$': '$Input.Body' }, End: true },
      ]),
      { v: 7 },
    );
    // The real activity's shape: StatusCode, Headers, Body (parsed JSON).
    assert.equal(out.StatusCode, 200);
    assert.equal(out.Headers['content-type'], 'application/json');
    assert.deepEqual(out.Body, { method: 'POST', path: '/x', body: JSON.stringify({ v: 7 }) });
  });

  it('Choice: first matching branch, fall-through to Default, `in` and compound conditions', async () => {
    const def = cloud([
      {
        Name: 'Route',
        Type: 'Choice',
        Branches: [
          { Condition: '$Input.kind in ["mp4", "webm"] && $Input.size >= 10', Next: 'Big' },
          { Condition: '$Input.kind == "mp4" || !$Input.known', Next: 'Small' },
        ],
        Default: 'Other',
      },
      { Name: 'Big', Type: 'Pass', OutputConstructor: { route: 'big' }, End: true },
      { Name: 'Small', Type: 'Pass', OutputConstructor: { route: 'small' }, End: true },
      { Name: 'Other', Type: 'Pass', OutputConstructor: { route: 'default' }, End: true },
    ]);
    assert.deepEqual(await output(def, { kind: 'webm', size: 20, known: true }), { route: 'big' });
    assert.deepEqual(await output(def, { kind: 'mp4', size: 1, known: true }), { route: 'small' });
    assert.deepEqual(await output(def, { kind: 'mkv', size: 1, known: true }), { route: 'default' });
  });

  it('Retry before Catch: retries with backoff, then Catch routes with OutputConstructor', async () => {
    const key = randomUUID();
    const begun = Date.now();
    const out = await output(
      cloud([
        {
          Name: 'Work',
          Type: 'Task',
          Resource: fn('flaky'),
          InputConstructor: { key, failTimes: 9, errorType: 'Flaky' },
          Retry: [{ Errors: ['Flaky'], IntervalSeconds: 0.2, MaxAttempts: 2, BackoffRate: 2 }],
          Catch: [{ Errors: ['Flaky'], Next: 'Recover', OutputConstructor: { 'error.$': '$Output.Error', 'code.$': '$Context.Current.Error.Code', 'key.$': '$Input.key' } }],
          Next: 'Never',
        },
        { Name: 'Never', Type: 'Fail', Error: 'Wrong', Cause: 'the catch should have routed elsewhere' },
        { Name: 'Recover', Type: 'Pass', End: true },
      ]),
    );
    assert.deepEqual(out, { error: 'Flaky', code: 'Flaky', key });
    assert.equal(calls.get(key), 3, 'one call and two retries');
    assert.ok(Date.now() - begun >= 600, 'waited 0.2 s then 0.4 s between attempts');
  });

  it('Retry: the first matching rule wins, and a retry that succeeds needs no Catch', async () => {
    const a = randomUUID();
    const err = await failure(
      cloud([
        {
          Name: 'Work',
          Type: 'Task',
          Resource: fn('flaky'),
          InputConstructor: { key: a, failTimes: 5, errorType: 'Flaky' },
          Retry: [{ Errors: ['Flaky'], IntervalSeconds: 0, MaxAttempts: 1 }, { Errors: ['FnF.ALL'], IntervalSeconds: 0, MaxAttempts: 10 }],
          End: true,
        },
      ]),
    );
    assert.equal(err.type, 'Flaky');
    assert.equal(calls.get(a), 2, 'only the first rule applied');
    const b = randomUUID();
    const out = await output(
      cloud([{ Name: 'Work', Type: 'Task', Resource: fn('flaky'), InputConstructor: { key: b, failTimes: 2, errorType: 'FC.ResourceThrottled' }, Retry: [{ Errors: ['FC.ResourceThrottled'], IntervalSeconds: 0.1, MaxAttempts: 3 }], End: true }]),
    );
    assert.deepEqual(out.Body, { calls: 3 });
  });

  it('wildcards: States.ALL and FnF.ALL catch any error; FnF.TaskTimeout names a timeout', async () => {
    for (const wildcard of ['States.ALL', 'FnF.ALL']) {
      const out = await output(
        cloud([
          { Name: 'Work', Type: 'Task', Resource: fn('flaky'), InputConstructor: { key: randomUUID(), failTimes: 1, errorType: 'Whatever' }, Catch: [{ Errors: [wildcard], Next: 'Caught' }], End: true },
          { Name: 'Caught', Type: 'Pass', End: true },
        ]),
      );
      assert.equal(out.Error, 'Whatever');
      assert.match(out.Cause, /call 1 of .* failed/);
    }
    const out = await output(
      cloud([
        { Name: 'Slow', Type: 'Task', Resource: fn('slow'), TimeoutSeconds: 1, InputConstructor: { ms: 3000 }, Catch: [{ Errors: ['FnF.TaskTimeout'], Next: 'TimedOut' }], End: true },
        { Name: 'TimedOut', Type: 'Pass', End: true },
      ]),
    );
    assert.equal(out.Error, 'FnF.TaskTimeout');
  });

  it('Fail ends the execution with its Error and Cause; an uncaught task error keeps its type', async () => {
    assert.deepEqual(await failure(cloud([{ Name: 'Stop', Type: 'Fail', Error: 'Refused', Cause: 'no thanks' }])), { type: 'Refused', message: 'no thanks' });
    const err = await failure(cloud([{ Name: 'Work', Type: 'Task', Resource: fn('flaky'), InputConstructor: { key: randomUUID(), failTimes: 1, errorType: 'FC.InternalServerError' }, End: true }]));
    assert.equal(err.type, 'FC.InternalServerError');
  });

  it('Parallel: outputs keyed Branch<Index>; one branch failing cancels the others', async () => {
    const out = await output(
      cloud([
        {
          Name: 'Both',
          Type: 'Parallel',
          Branches: [
            { StartAt: 'One', States: [{ Name: 'One', Type: 'Task', Resource: fn('add'), InputConstructor: { a: 1, b: 1 }, End: true }] },
            { StartAt: 'Two', States: [{ Name: 'Two', Type: 'Pass', OutputConstructor: { 'v.$': '$Input.v' }, End: true }] },
          ],
          End: true,
        },
      ]),
      { v: 'x' },
    );
    assert.deepEqual(out.Branch0.Body, { sum: 2 });
    assert.deepEqual(out.Branch1, { v: 'x' });

    const begun = Date.now();
    const handle = await start(
      cloud([
        {
          Name: 'Race',
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Long', States: [{ Name: 'Long', Type: 'Task', Resource: fn('slow'), InputConstructor: { ms: 20_000 }, Next: 'AfterLong' }, { Name: 'AfterLong', Type: 'Pass', End: true }] },
            { StartAt: 'Wait', States: [{ Name: 'Wait', Type: 'Wait', Seconds: 0.3, Next: 'Boom' }, { Name: 'Boom', Type: 'Fail', Error: 'BranchFailed', Cause: 'branch 2' }] },
          ],
          End: true,
        },
      ]),
    );
    await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && (err.cause as ApplicationFailure).type === 'BranchFailed');
    assert.ok(Date.now() - begun < 10_000, 'the failure did not wait for the long branch');
    const history = await handle.fetchHistory();
    const cancelRequested = history.events?.filter((e) => e.activityTaskCancelRequestedEventAttributes).length ?? 0;
    assert.equal(cancelRequested, 1, 'the long branch activity was cancelled');
  });

  it('Map: ItemsPath, output Items in order, in-flight items never above MaxConcurrency', async () => {
    inFlight = 0;
    maxInFlight = 0;
    const out = await output(
      cloud([
        {
          Name: 'Each',
          Type: 'Map',
          ItemsPath: '$Input.things',
          MaxConcurrency: 3,
          Processor: { StartAt: 'Track', States: [{ Name: 'Track', Type: 'Task', Resource: fn('track'), InputConstructor: { 'item.$': '$Input' }, End: true }] },
          End: true,
        },
      ]),
      { things: Array.from({ length: 10 }, (_, i) => i) },
    );
    assert.deepEqual(
      out.Items.map((o: { Body: unknown }) => o.Body),
      Array.from({ length: 10 }, (_, i) => ({ seen: i })),
    );
    assert.ok(maxInFlight <= 3, `max in flight ${maxInFlight}`);
    assert.ok(maxInFlight >= 2, `items ran concurrently (max ${maxInFlight})`);
  });

  it('Map over 10,000 items completes through child workflows', { timeout: 120_000 }, async () => {
    const begun = Date.now();
    const handle = await start(
      cloud([
        {
          Name: 'Many',
          Type: 'Map',
          ItemsPath: '$Input.items',
          Processor: {
            StartAt: 'Odd',
            States: [
              { Name: 'Odd', Type: 'Choice', Branches: [{ Condition: '$Input.n == 9999', Next: 'Last' }, { Condition: '$Input.call', Next: 'Call' }], Default: 'Plain' },
              { Name: 'Last', Type: 'Pass', OutputConstructor: { last: true }, End: true },
              { Name: 'Call', Type: 'Task', Resource: fn('add'), InputConstructor: { 'a.$': '$Input.n', b: 1 }, End: true },
              { Name: 'Plain', Type: 'Pass', OutputConstructor: { 'n.$': '$Input.n' }, End: true },
            ],
          },
          End: true,
        },
      ]),
      // Every 100th item calls a function, so batches run activities too; the rest stay cheap.
      { items: Array.from({ length: 10_000 }, (_, n) => ({ n, ...(n % 100 === 50 ? { call: true } : {}) })) },
    );
    const out = (await handle.result()) as { Items: unknown[] };
    assert.equal(out.Items.length, 10_000);
    assert.deepEqual(out.Items[0], { n: 0 });
    assert.deepEqual(out.Items[9999], { last: true });
    assert.deepEqual((out.Items[5050] as { Body: unknown }).Body, { sum: 5051 });
    const child = await env.client.workflow.getHandle(`${handle.workflowId}.map-1.9`).describe();
    assert.equal(child.type, 'runFlowBatch');
    process.stdout.write(`# 10,000-item Map: ${Date.now() - begun} ms\n`);
  });

  it('Wait: Seconds sleeps; a past Timestamp does not', async () => {
    const begun = Date.now();
    await output(cloud([{ Name: 'Nap', Type: 'Wait', Seconds: 1, Next: 'Past' }, { Name: 'Past', Type: 'Wait', Timestamp: '2001-01-01T00:00:00Z', End: true }]));
    const took = Date.now() - begun;
    assert.ok(took >= 1000 && took < 8000, `took ${took} ms`);
  });

  it('describe: current state and status while running, output when done', async () => {
    const handle = await start(cloud([{ Name: 'First', Type: 'Pass', OutputConstructor: { step: 1 }, Next: 'Nap' }, { Name: 'Nap', Type: 'Wait', Seconds: 2, End: true }]));
    let d = await handle.query(describeFlowQuery);
    await eventually(async () => (d = await handle.query(describeFlowQuery)).currentStates.includes('Nap'), 2.5);
    assert.equal(d.status, 'RUNNING');
    assert.deepEqual(d.currentStates, ['Nap']);
    assert.deepEqual(d.output, { step: 1 });
    await handle.result();
    d = await handle.query(describeFlowQuery);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(d.currentStates, []);
    assert.equal(d.transitions, 2);
  });

  it('a Choice loop ends at the step limit with a clear error', async () => {
    const err = await failure(
      cloud([
        { Name: 'Spin', Type: 'Pass', Next: 'Again' },
        { Name: 'Again', Type: 'Choice', Branches: [{ Condition: '$Input.stop == true', Next: 'Out' }], Default: 'Spin' },
        { Name: 'Out', Type: 'Succeed' },
      ]),
      {},
      { stepLimit: 50 },
    );
    assert.equal(err.type, 'FnF.StepLimitExceeded');
    assert.match(err.message, /step limit exceeded: 50 state transitions \(at state "Spin"\)/);
  });

  it('an output over 2 MB fails with an error naming the state', async () => {
    const err = await failure(
      cloud([{ Name: 'Double', Type: 'Parallel', Branches: [0, 1].map((i) => ({ StartAt: `b${i}`, States: [{ Name: `b${i}`, Type: 'Pass', End: true }] })), End: true }]),
      { blob: 'x'.repeat(1_200_000) },
    );
    assert.equal(err.type, 'FnF.PayloadTooLarge');
    assert.match(err.message, /output of state "Double" is \d+ bytes/);
  });

  it('an invalid definition is rejected before anything runs', async () => {
    const err = await failure(cloud([{ Name: 'A', Type: 'Pass', Next: 'Missing' }]));
    assert.equal(err.type, 'InvalidJob');
    assert.match(err.message, /state "A": Next target "Missing" is not a state/);
  });
});

describe('CloudFlow intrinsic functions', () => {
  it('built-in and States.* functions in InputConstructor, Parameters, OutputConstructor and a Choice condition', async () => {
    const out = await output(
      cloud([
        {
          Name: 'Shape',
          Type: 'Pass',
          InputConstructor: {
            'greeting.$': "format('hello {}', $Input.name)",
            'parts.$': 'States.ArrayPartition($Input.items, 2)',
            'count.$': 'length($Input.items)',
            'digest.$': 'hash($Input.name, "MD5")',
            'sha512.$': 'States.Hash($Input.name, "SHA-512")',
            'encoded.$': 'States.Base64Encode($Input.name)',
            'ids.$': 'toArray(uuid(), States.UUID())',
            'merged.$': 'jsonMerge($Input.meta, {"b": 3})',
          },
          Next: 'Big?',
        },
        { Name: 'Big?', Type: 'Choice', Branches: [{ Condition: 'States.ArrayLength($Input.parts) >= 2 && arrayContains(mapKeys($Input.merged), "b")', Next: 'Call' }], Default: 'Done' },
        {
          Name: 'Call',
          Type: 'Task',
          Action: 'FC:InvokeFunction',
          Parameters: { resourceArn: fn('add'), body: { 'a.$': '$Input.count', 'b.$': 'States.MathAdd(States.ArrayLength($Input.parts), 10)' } },
          OutputConstructor: { 'sum.$': '$Output.Body.sum', 'greeting.$': '$Input.greeting', 'decoded.$': 'fromBase64($Input.encoded)', 'digest.$': '$Input.digest', 'sha512.$': '$Input.sha512', 'ids.$': '$Input.ids', 'merged.$': '$Input.merged' },
          Next: 'Done',
        },
        { Name: 'Done', Type: 'Succeed' },
      ]),
      { name: 'Tom', items: [1, 2, 3, 4, 5], meta: { a: 1, b: 2 } },
    );
    assert.equal(out.greeting, 'hello Tom');
    assert.equal(out.sum, 5 + 13, 'length 5 + (3 partitions + 10)');
    assert.equal(out.decoded, 'Tom');
    assert.equal(out.digest, createHash('md5').update('Tom').digest('hex'));
    assert.equal(out.sha512, createHash('sha512').update('Tom').digest('hex'), 'the BigInt SHA-512 runs in the workflow sandbox');
    assert.deepEqual(out.merged, { a: 1, b: 3 });
    assert.equal(out.ids.length, 2);
    for (const id of out.ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(out.ids[0], out.ids[1]);
  });

  it('Wait: SecondsPath and Seconds.$ sleep as Temporal timers; a past TimestampPath does not', async () => {
    const begun = Date.now();
    const handle = await start(
      cloud([
        { Name: 'ByPath', Type: 'Wait', SecondsPath: '$Input.nap', Next: 'ByExpression' },
        { Name: 'ByExpression', Type: 'Wait', 'Seconds.$': 'States.MathAdd($Input.nap, 1)', Next: 'Past' },
        { Name: 'Past', Type: 'Wait', TimestampPath: '$Input.past', End: true },
      ]),
      { nap: 1, past: '2001-01-01T00:00:00Z' },
    );
    await handle.result();
    const took = Date.now() - begun;
    assert.ok(took >= 3000 && took < 12000, `took ${took} ms`);
    const timers = ((await handle.fetchHistory()).events ?? [])
      .map((e) => e.timerStartedEventAttributes?.startToFireTimeout)
      .filter((t) => t)
      .map((t) => Number(t!.seconds ?? 0) + (t!.nanos ?? 0) / 1e9);
    assert.deepEqual(timers, [1, 2]);
  });

  it('a bad call fails with States.IntrinsicFailure naming the state and the expression; a Catch can handle it', async () => {
    const err = await failure(cloud([{ Name: 'Pick', Type: 'Pass', InputConstructor: { 'item.$': 'States.ArrayGetItem($Input.list, 5)' }, End: true }]), { list: [1, 2] });
    assert.equal(err.type, 'States.IntrinsicFailure');
    assert.equal(err.message, 'state "Pick": InputConstructor.item.$ "States.ArrayGetItem($Input.list, 5)": States.ArrayGetItem: index 5 is outside the array of 2 item(s)');
    const inChoice = await failure(cloud([{ Name: 'Which', Type: 'Choice', Branches: [{ Condition: 'length($Input.n) > 1', Next: 'End' }], Default: 'End' }, { Name: 'End', Type: 'Succeed' }]), { n: 5 });
    assert.equal(inChoice.type, 'States.IntrinsicFailure');
    assert.equal(inChoice.message, 'state "Which": Branches[0].Condition "length($Input.n) > 1": length: argument 1 must be a string, an array or a JSON object, got 5');
    const inWait = await failure(cloud([{ Name: 'Nap', Type: 'Wait', 'Seconds.$': 'States.MathAdd($Input.n, 0.5)', End: true }]), { n: 1 });
    assert.equal(inWait.type, 'States.IntrinsicFailure');
    assert.equal(inWait.message, 'state "Nap": Seconds.$ "States.MathAdd($Input.n, 0.5)": States.MathAdd: argument 2 must be a whole number, got 0.5');
    const out = await output(
      cloud([
        { Name: 'Call', Type: 'Task', Resource: fn('echo'), Parameters: { body: { 'n.$': 'States.MathAdd($Input.n, 1)' } }, Catch: [{ Errors: ['States.IntrinsicFailure'], Next: 'Caught' }], End: true },
        { Name: 'Caught', Type: 'Pass', End: true },
      ]),
      { n: 'one' },
    );
    assert.equal(out.Error, 'States.IntrinsicFailure');
    assert.match(out.Cause, /state "Call": Parameters.n.\$ "States.MathAdd\(\$Input.n, 1\)": States.MathAdd: argument 1 must be a whole number, got "one"/);
  });

  it('a wait time that is not a number fails with States.Runtime; an unknown function is rejected before anything runs', async () => {
    const bad = await failure(cloud([{ Name: 'Nap', Type: 'Wait', SecondsPath: '$Input.nap', End: true }]), { nap: 'soon' });
    assert.equal(bad.type, 'States.Runtime');
    assert.equal(bad.message, 'state "Nap": SecondsPath "$Input.nap" gave "soon", not a number of seconds ≥ 0');
    const handle = await start(
      cloud([
        { Name: 'First', Type: 'Task', Resource: fn('echo'), Next: 'A' },
        { Name: 'A', Type: 'Task', Resource: fn('echo'), Parameters: { 'x.$': 'States.Frobnicate($Input)' }, End: true },
      ]),
    );
    await assert.rejects(handle.result(), (err: unknown) => {
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      assert.equal(cause.type, 'InvalidJob');
      assert.match(cause.message, /state "A": Parameters.x.\$: bad expression "States.Frobnicate\(\$Input\)": unknown function "States.Frobnicate"/);
      return true;
    });
    const scheduled = ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    assert.equal(scheduled.length, 0, 'not even the first state ran');
  });
});

describe('FDL', () => {
  it('task with inputMappings/outputMappings; default input is input merged with local; the flow outputs its local', async () => {
    const out = await output(
      fdl([
        { name: 'add', type: 'task', resourceArn: fn('add'), inputMappings: [{ target: 'a', source: '$input.x' }, { target: 'b', source: 5 }], outputMappings: [{ target: 'total', source: '$local.sum' }] },
        { name: 'echo', type: 'task', resourceArn: 'acs:fc:::services/svc/functions/echo' },
        { name: 'mark', type: 'pass', outputMappings: [{ target: 'marked', source: true }, { target: 'seen', source: '$input.total' }] },
      ]),
      { x: 1 },
    );
    // echo returned its whole input {x, total}: a step's default output is its local.
    assert.deepEqual(out, { total: 6, x: 1, marked: true, seen: 6 });
  });

  it('choice with steps, goto and default; succeed ends the flow', async () => {
    const def = fdl([
      {
        name: 'route',
        type: 'choice',
        choices: [
          { condition: '$.n > 10', steps: [{ name: 'big', type: 'pass', outputMappings: [{ target: 'route', source: 'big' }] }] },
          { condition: '$.n == 0', goto: 'zero' },
        ],
        default: { steps: [{ name: 'small', type: 'pass', outputMappings: [{ target: 'route', source: 'small' }] }, { name: 'stop', type: 'succeed' }] },
      },
      { name: 'after', type: 'pass', outputMappings: [{ target: 'after', source: true }], end: true },
      { name: 'zero', type: 'pass', outputMappings: [{ target: 'route', source: 'zero' }] },
    ]);
    assert.deepEqual(await output(def, { n: 11 }), { route: 'big', after: true });
    assert.deepEqual(await output(def, { n: 0 }), { route: 'zero' });
    assert.deepEqual(await output(def, { n: 5 }), { route: 'small' });
  });

  it('parallel and foreach output nothing by default, their locals through outputMappings', async () => {
    inFlight = 0;
    maxInFlight = 0;
    const out = await output(
      fdl([
        { name: 'par', type: 'parallel', branches: [{ steps: [{ name: 'p1', type: 'pass', outputMappings: [{ target: 'p', source: 1 }] }] }, { steps: [{ name: 'p2', type: 'pass' }] }] },
        {
          name: 'each',
          type: 'foreach',
          maxConcurrency: 2,
          iterationMapping: { collection: '$input.files', item: 'file', index: 'i' },
          steps: [{ name: 'track', type: 'task', resourceArn: fn('track'), inputMappings: [{ target: 'item', source: '$input.file' }, { target: 'ms', source: 100 }], outputMappings: [{ target: 'f', source: '$local.seen' }] }],
          outputMappings: [{ target: 'results', source: '$local' }],
        },
        { name: 'par2', type: 'parallel', branches: [{ steps: [{ name: 'q', type: 'pass', outputMappings: [{ target: 'q', source: 2 }] }] }], outputMappings: [{ target: 'branches', source: '$local' }] },
      ]),
      { files: ['a', 'b', 'c', 'd'] },
    );
    assert.deepEqual(out, { results: [{ f: 'a' }, { f: 'b' }, { f: 'c' }, { f: 'd' }], branches: [{ q: 2 }] });
    assert.ok(maxInFlight <= 2 && maxInFlight >= 1, `max in flight ${maxInFlight}`);
  });

  it('retry, then catch with goto; wait; fail', async () => {
    const key = randomUUID();
    const out = await output(
      fdl([
        {
          name: 'work',
          type: 'task',
          resourceArn: fn('flaky'),
          inputMappings: [{ target: 'key', source: key }, { target: 'failTimes', source: 9 }, { target: 'errorType', source: 'FC.ResourceExhausted' }],
          retry: [{ errors: ['FC.ResourceExhausted'], intervalSeconds: 0.1, maxAttempts: 2, multiplier: 1.5 }],
          catch: [{ errors: ['FnF.ALL'], goto: 'recover' }],
        },
        { name: 'skipped', type: 'pass', outputMappings: [{ target: 'skipped', source: true }] },
        { name: 'recover', type: 'wait', duration: 0.2 },
        { name: 'mark', type: 'pass', outputMappings: [{ target: 'recovered', source: true }] },
      ]),
    );
    assert.deepEqual(out, { recovered: true });
    assert.equal(calls.get(key), 3);
    assert.deepEqual(await failure(fdl([{ name: 'no', type: 'fail', error: 'Nope', cause: 'because' }])), { type: 'Nope', message: 'because' });
  });

  it('choice conditions may call intrinsic functions; a failed call fails the step with States.IntrinsicFailure', async () => {
    const pick = fdl([
      {
        name: 'size',
        type: 'choice',
        choices: [{ condition: 'length($input.items) > 2 && States.ArrayContains($input.items, "x")', steps: [{ name: 'big', type: 'pass', outputMappings: [{ target: 'size', source: 'big' }] }] }],
        default: { steps: [{ name: 'small', type: 'pass', outputMappings: [{ target: 'size', source: 'small' }] }] },
      },
    ]);
    assert.deepEqual(await output(pick, { items: ['a', 'b', 'x'] }), { size: 'big' });
    assert.deepEqual(await output(pick, { items: ['a', 'x'] }), { size: 'small' });
    assert.deepEqual(await failure(pick, { items: 7 }), {
      type: 'States.IntrinsicFailure',
      message: 'step "size": condition "length($input.items) > 2 && States.ArrayContains($input.items, \\"x\\")": length: argument 1 must be a string, an array or a JSON object, got 7',
    });
  });
});

describe('flow CLI', () => {
  const run = (args: string[], extra: Record<string, string> = {}) => cliRunner(env)(args, extra);

  it('validate names the state and reason; run --wait --json prints the output; describe reports it', { timeout: 60_000 }, async () => {
    const bad = path.join(env.dir, 'bad.yaml');
    writeFileSync(bad, 'Type: StateMachine\nSpecVersion: v1\nStartAt: A\nStates:\n  - Name: A\n    Type: Task\n    Resource: acs:fc:::functions/custom\n    End: true\n');
    let res = await run(['flow', 'validate', bad]);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, /state "A": unknown resource acs:fc:::functions\/custom/);
    res = await run(['flow', 'validate', bad], { SHARDFLOW_FLOW_FUNCTIONS: 'custom' });
    assert.equal(res.code, 0, res.stderr);

    const good = path.join(env.dir, 'good.yaml');
    writeFileSync(good, 'version: v1\ntype: flow\nsteps:\n  - name: add\n    type: task\n    resourceArn: acs:fc:::functions/add\n', 'utf8');
    const input = path.join(env.dir, 'input.json');
    writeFileSync(input, JSON.stringify({ a: 2, b: 3 }));
    const id = `flow-cli-${randomUUID()}`;
    res = await run(['flow', 'run', good, '--input', `@${input}`, '--id', id, '--wait', '--json'], { SHARDFLOW_FLOW_FUNCTIONS: 'add' });
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.deepEqual(JSON.parse(res.stdout), { executionId: id, status: 'SUCCEEDED', output: { sum: 5 } });
    res = await run(['flow', 'describe', id, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const d = JSON.parse(res.stdout);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(d.output, { sum: 5 });
    res = await run(['flow', 'describe', 'no-such-flow']);
    assert.equal(res.code, 4);

    // A stopped execution is STOPPED, not the RUNNING its state said when it was stopped.
    const waiting = path.join(env.dir, 'waiting.yaml');
    writeFileSync(waiting, 'version: v1\ntype: flow\nsteps:\n  - name: pause\n    type: wait\n    duration: 3600\n', 'utf8');
    const stopped = `flow-cli-${randomUUID()}`;
    res = await run(['flow', 'run', waiting, '--id', stopped]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    res = await run(['flow', 'describe', stopped, '--json']);
    assert.equal(JSON.parse(res.stdout).status, 'RUNNING');
    await env.client.workflow.getHandle(stopped).terminate('stopped by the test');
    res = await run(['flow', 'describe', stopped, '--json']);
    assert.equal(res.code, 1, res.stderr);
    assert.equal(JSON.parse(res.stdout).status, 'STOPPED');
    assert.equal(JSON.parse(res.stdout).workflowStatus, 'TERMINATED');
  });

  it('describe reports every way an execution closes: cancelled, timed out, failed', { timeout: 60_000 }, async () => {
    const described = async (id: string) => {
      const res = await run(['flow', 'describe', id, '--json']);
      assert.equal(res.code, 1, `exit code of describe: ${res.stderr}${res.stdout}`);
      return JSON.parse(res.stdout) as { status: string; workflowStatus: string };
    };
    const pause = fdl([{ name: 'pause', type: 'wait', duration: 3600 }]);
    const closed = (handle: { result(): Promise<unknown> }) => handle.result().catch(() => undefined);

    const cancelled = await start(pause);
    await cancelled.cancel();
    await closed(cancelled);
    const c = await described(cancelled.workflowId);
    assert.equal(c.status, 'STOPPED');
    assert.equal(c.workflowStatus, 'CANCELLED');

    const args: RunFlowInput = { definition: pause, input: {} };
    const timedOut = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-${randomUUID()}`, args: [args], workflowExecutionTimeout: '2s' });
    await closed(timedOut);
    const t = await described(timedOut.workflowId);
    assert.equal(t.status, 'TIMED_OUT');
    assert.equal(t.workflowStatus, 'TIMED_OUT');

    const failed = await start(cloud([{ Name: 'Stop', Type: 'Fail', Error: 'Refused', Cause: 'no thanks' }]));
    await closed(failed);
    const f = await described(failed.workflowId);
    assert.equal(f.status, 'FAILED');
    assert.equal(f.workflowStatus, 'FAILED');
  });
});
