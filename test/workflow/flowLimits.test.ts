// runFlow's step limit and Wait states, on the time-skipping test server: a
// Choice that loops forever ends with a clear error naming the state, and
// Waits of hours pass in skipped server time. The flows here call no
// functions, so the worker needs no activities at all.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FlowErrorName } from '../../src/core/flow/flowErrors';
import { DEFAULT_STEP_LIMIT, describeFlowQuery, RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import { useTimeSkippingEnv, withWorker } from '../support/timeSkipping';

const HOUR_MS = 3600_000;
const QUEUE = 'flow-limits';

const env = useTimeSkippingEnv();

const cloud = (states: unknown[]) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: (states[0] as { Name: string }).Name, States: states });
const fdl = (steps: unknown[]) => ({ version: 'v1', type: 'flow', steps });

/** Pass → Choice back to the Pass, forever: only the step limit ends it. */
const spinForever = [
  { Name: 'Spin', Type: 'Pass', Next: 'Again' },
  { Name: 'Again', Type: 'Choice', Branches: [{ Condition: '$Input.stop == true', Next: 'Out' }], Default: 'Spin' },
  { Name: 'Out', Type: 'Succeed' },
];

/** Server time from the execution's start to its close, as its history records it. */
async function executionSpanMs(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  return ms(events[events.length - 1]) - ms(events[0]);
}

function startFlow(definition: unknown, extra: Partial<RunFlowInput> = {}) {
  const args: RunFlowInput = { definition, input: {}, ...extra };
  return env().client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: QUEUE, workflowId: `flow-${randomUUID().slice(0, 8)}`, args: [args] });
}

/** The flow's failure: its error name (the ApplicationFailure type) and cause. */
async function failureOf(result: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await result;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
    return { type: err.cause.type ?? '', message: err.cause.message };
  }
  return assert.fail('the flow succeeded');
}

describe('flow step limit', () => {
  it('a Choice that loops forever fails at the default limit, naming the state', { timeout: 60_000 }, async () => {
    await withWorker(env(), QUEUE, {}, async () => {
      const handle = await startFlow(cloud(spinForever));
      const failure = await failureOf(handle.result());
      assert.equal(failure.type, FlowErrorName.StepLimit);
      assert.equal(
        failure.message,
        `step limit exceeded: ${DEFAULT_STEP_LIMIT} state transitions (at state "Spin"); a Choice loop that never ends? Raise stepLimit if the flow needs more`,
      );
      const described = await handle.query(describeFlowQuery);
      assert.equal(described.status, 'FAILED');
      assert.equal(described.transitions, DEFAULT_STEP_LIMIT);
      assert.deepEqual(described.error?.error, FlowErrorName.StepLimit);
    });
  });

  it('a loop inside a Parallel branch is not caught by its FnF.ALL Catch; the error names the branch', { timeout: 60_000 }, async () => {
    await withWorker(env(), QUEUE, {}, async () => {
      const guarded = cloud([
        { Name: 'Guard', Type: 'Parallel', Branches: [{ StartAt: 'Spin', States: spinForever }], Catch: [{ Errors: ['FnF.ALL'], Next: 'Caught' }], End: true },
        { Name: 'Caught', Type: 'Succeed' },
      ]);
      const failure = await failureOf((await startFlow(guarded, { stepLimit: 40 })).result());
      assert.equal(failure.type, FlowErrorName.StepLimit);
      assert.match(failure.message, /^step limit exceeded: 40 state transitions in Guard branch 1 \(at state "Spin"\)/);
    });
  });

  it('an FDL choice whose default goes back forever fails the same way', { timeout: 60_000 }, async () => {
    await withWorker(env(), QUEUE, {}, async () => {
      const loop = fdl([
        { type: 'pass', name: 'tick' },
        { type: 'choice', name: 'again', choices: [{ condition: '$.stop == true', goto: 'out' }], default: { goto: 'tick' } },
        { type: 'succeed', name: 'out' },
      ]);
      const failure = await failureOf((await startFlow(loop, { stepLimit: 25 })).result());
      assert.equal(failure.type, FlowErrorName.StepLimit);
      assert.match(failure.message, /^step limit exceeded: 25 state transitions \(at state "again"\)/);
    });
  });
});

describe('flow Wait under time skipping', () => {
  it('Wait states of hours (CloudFlow Seconds, FDL duration) finish at once in real time', { timeout: 60_000 }, async () => {
    await withWorker(env(), QUEUE, {}, async () => {
      const cases = [
        cloud([
          { Name: 'Nap', Type: 'Wait', Seconds: 6 * 3600, Next: 'Done' },
          { Name: 'Done', Type: 'Pass', OutputConstructor: { woke: true }, End: true },
        ]),
        fdl([{ type: 'wait', name: 'nap', duration: 6 * 3600 }]),
      ];
      for (const definition of cases) {
        const realStart = Date.now();
        const handle = await startFlow(definition);
        await handle.result();
        const span = await executionSpanMs(handle);
        assert.ok(span >= 6 * HOUR_MS && span < 6 * HOUR_MS + 60_000, `the flow ran for ${span / HOUR_MS} h of server time`);
        assert.ok(Date.now() - realStart < 15_000, `took ${Date.now() - realStart} ms of real time`);
        assert.equal((await handle.query(describeFlowQuery)).status, 'SUCCEEDED');
      }
    });
  });

  it('a loop of hour-long Waits runs into the step limit after the hours it waited', { timeout: 60_000 }, async () => {
    await withWorker(env(), QUEUE, {}, async () => {
      const hourly = cloud([
        { Name: 'Nap', Type: 'Wait', Seconds: 3600, Next: 'Again' },
        { Name: 'Again', Type: 'Choice', Branches: [{ Condition: '$Input.stop == true', Next: 'Out' }], Default: 'Nap' },
        { Name: 'Out', Type: 'Succeed' },
      ]);
      // Transitions 1, 3, … 21 are Naps: eleven hours, then the 22nd transition (Again) passes the limit.
      const handle = await startFlow(hourly, { stepLimit: 21 });
      const failure = await failureOf(handle.result());
      assert.equal(failure.type, FlowErrorName.StepLimit);
      assert.match(failure.message, /^step limit exceeded: 21 state transitions \(at state "Again"\)/);
      const span = await executionSpanMs(handle);
      assert.ok(span >= 11 * HOUR_MS && span < 11 * HOUR_MS + 60_000, `the flow ran for ${span / HOUR_MS} h of server time`);
    });
  });
});
