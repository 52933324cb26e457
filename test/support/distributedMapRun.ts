// A large distributed Map run as the scale test and the bench measure it:
// N items in a JSON list object in the local flow store, a Pass state per
// item, a ResultWriter beside them; then every history of the run (the
// flow's and each child's, recursively) with its size.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';

export interface HistoryFacts {
  workflowId: string;
  events: number;
  /** Bytes of the largest payload anywhere in the history. */
  largestPayload: number;
}

export interface PassMapRun {
  workflowId: string;
  wallMs: number;
  output: { ItemCounts: { Total: number; Succeeded: number; Failed: number }; ResultWriterDetails: { ObjectName: string } };
}

/** Writes `{id, name}` items 0..n-1 as a JSON list at `<storeRoot>/<bucket>/<key>`. */
export async function writeItemList(storeRoot: string, bucket: string, key: string, n: number): Promise<void> {
  await fs.mkdir(path.dirname(path.join(storeRoot, bucket, key)), { recursive: true });
  const list = Array.from({ length: n }, (_, i) => ({ id: i, name: `item-${i}` }));
  await fs.writeFile(path.join(storeRoot, bucket, key), JSON.stringify(list));
}

/** Runs a distributed Map of a Pass state over the list, with its results written to `<bucket>/results/`. */
export async function runPassMap(client: Client, taskQueue: string, bucket: string, key: string): Promise<PassMapRun> {
  const definition = {
    Type: 'StateMachine',
    SpecVersion: 'v1',
    StartAt: 'Map',
    States: [
      {
        Name: 'Map',
        Type: 'Map',
        ProcessorConfig: { Mode: 'DISTRIBUTED' },
        ItemReader: { SourceType: 'OSS_JSON_LIST', SourceParameters: { Bucket: bucket, ObjectName: key } },
        Processor: { StartAt: 'Echo', States: [{ Name: 'Echo', Type: 'Pass', End: true }] },
        ResultWriter: { Parameters: { Bucket: bucket, Prefix: 'results/' } },
        End: true,
      },
    ],
  };
  const args: RunFlowInput = { definition, input: {} };
  const workflowId = `distmap-${randomUUID()}`;
  const begun = performance.now();
  const handle = await client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue, workflowId, args: [args] });
  const output = (await handle.result()) as PassMapRun['output'];
  return { workflowId, wallMs: performance.now() - begun, output };
}

/** Event count and largest payload of a workflow and of every child below it. */
export async function historiesBelow(client: Client, workflowId: string): Promise<HistoryFacts[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  let largest = 0;
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) largest = Math.max(largest, v.length);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(events);
  const facts: HistoryFacts[] = [{ workflowId, events: events.length, largestPayload: largest }];
  const children = events.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId).filter((id): id is string => !!id);
  for (const id of children) facts.push(...(await historiesBelow(client, id)));
  return facts;
}
