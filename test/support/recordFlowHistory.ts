// Records runFlow histories for the replay test: one CloudFlow and one FDL
// execution that between them use every state type, Retry and Catch. Run
// after an intentional change to the interpreter, against a running dev server:
//   npm run build && node dist/test/support/recordFlowHistory.js
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/core/contracts';
import { RUN_FLOW_WORKFLOW } from '../../src/core/flow/flowNames';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { runScript, writeHistoryFixture } from './recordHistory';
import { createTestEnv } from './testEnv';

const seen = new Set<string>();
const standIns = {
  // echo answers its event; `failOnce` events fail their first call.
  invokeFunction: async ({ event }: InvokeFunctionInput) => {
    const e = event as { failOnce?: string };
    if (e.failOnce && !seen.has(e.failOnce)) {
      seen.add(e.failOnce);
      throw ApplicationFailure.create({ type: 'Flaky', message: 'first call fails' });
    }
    return event;
  },
} as unknown as Partial<Activities>;

const fn = 'acs:fc:::functions/echo';

export const CLOUDFLOW_FIXTURE = {
  Type: 'StateMachine',
  SpecVersion: 'v1',
  StartAt: 'Prepare',
  States: [
    { Name: 'Prepare', Type: 'Pass', InputConstructor: { 'items.$': '$Input.items', kind: 'mp4' }, Next: 'Call' },
    { Name: 'Call', Type: 'Task', Resource: fn, InputConstructor: { 'items.$': '$Input.items', failOnce: 'cf' }, Retry: [{ Errors: ['Flaky'], IntervalSeconds: 0.1, MaxAttempts: 2 }], Next: 'Route' },
    { Name: 'Route', Type: 'Choice', Branches: [{ Condition: '$Input.kind == "never"', Next: 'Stop' }], Default: 'Both' },
    {
      Name: 'Both',
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Nap', States: [{ Name: 'Nap', Type: 'Wait', Seconds: 0.1, End: true }] },
        { StartAt: 'Each', States: [{ Name: 'Each', Type: 'Map', ItemsPath: '$Input.items', MaxConcurrency: 2, Processor: { StartAt: 'One', States: [{ Name: 'One', Type: 'Task', Resource: fn, End: true }] }, End: true }] },
      ],
      Next: 'Risky',
    },
    { Name: 'Risky', Type: 'Task', Resource: fn, InputConstructor: { failOnce: 'cf-catch' }, Catch: [{ Errors: ['FnF.ALL'], Next: 'Done' }], Next: 'Stop' },
    { Name: 'Stop', Type: 'Fail', Error: 'Unexpected', Cause: 'the catch routes around this' },
    { Name: 'Done', Type: 'Succeed' },
  ],
};

export const FDL_FIXTURE = {
  version: 'v1',
  type: 'flow',
  steps: [
    { name: 'call', type: 'task', resourceArn: fn, inputMappings: [{ target: 'failOnce', source: 'fdl' }, { target: 'x', source: '$input.x' }], retry: [{ errors: ['Flaky'], intervalSeconds: 0.1, maxAttempts: 2 }] },
    { name: 'route', type: 'choice', choices: [{ condition: '$.x > 0', steps: [{ name: 'inner', type: 'pass', outputMappings: [{ target: 'big', source: true }] }] }], default: { goto: 'end' } },
    { name: 'par', type: 'parallel', branches: [{ steps: [{ name: 'nap', type: 'wait', duration: 0.1 }] }, { steps: [{ name: 'b2', type: 'task', resourceArn: fn }] }] },
    { name: 'each', type: 'foreach', iterationMapping: { collection: '$input.items', item: 'item' }, steps: [{ name: 'one', type: 'task', resourceArn: fn }], outputMappings: [{ target: 'n', source: '$local' }] },
    { name: 'end', type: 'pass' },
  ],
};

async function main(): Promise<void> {
  const env = await createTestEnv({ activities: standIns });
  try {
    const runs = [
      { id: 'replay-flow-cloudflow', definition: CLOUDFLOW_FIXTURE, input: { items: [1, 2, 3] } },
      { id: 'replay-flow-fdl', definition: FDL_FIXTURE, input: { x: 1, items: ['a', 'b'] } },
    ];
    for (const run of runs) {
      const handle = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: run.id, args: [{ definition: run.definition, input: run.input }] });
      await handle.result();
      await writeHistoryFixture(env.client, run.id);
    }
  } finally {
    await env.close();
  }
}

if (require.main === module) runScript(main);
