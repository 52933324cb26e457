// A distributed Map over 100,000 items on the real dev server: the items come
// from a JSON list object (ItemReader, in the local flow store the built-ins
// use), a Pass state processes each, and a ResultWriter holds the results.
// Every history of the run (the flow's and each child's) stays small: no list
// of items or results passes through one history whole.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const ITEMS = 100_000;
const BUCKET = 'scale-map';
/** Temporal fails an execution whose history passes this many events. */
const HISTORY_EVENT_LIMIT = 51_200;
/** Temporal refuses a payload larger than this by default. */
const BLOB_SIZE_LIMIT = 2 * 1024 * 1024;

interface HistoryFacts {
  workflowId: string;
  events: number;
  largestPayload: number;
}

/** Event count and largest payload of a workflow and of every child below it. */
async function historiesBelow(client: Client, workflowId: string): Promise<HistoryFacts[]> {
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

let env: TestEnv;
before(async () => {
  delete process.env.SHARDFLOW_FLOW_STORE;
  env = await createTestEnv();
  const list = Array.from({ length: ITEMS }, (_, i) => ({ id: i, name: `item-${i}` }));
  await fs.mkdir(path.join(env.config.localStoreRoot, BUCKET), { recursive: true });
  await fs.writeFile(path.join(env.config.localStoreRoot, BUCKET, 'items.json'), JSON.stringify(list));
});
after(async () => {
  await env.close();
});

describe('distributed Map at scale', () => {
  it(`${ITEMS} items through a Pass state, results in storage, every history bounded`, { timeout: 240_000 }, async () => {
    const definition = {
      Type: 'StateMachine',
      SpecVersion: 'v1',
      StartAt: 'Map',
      States: [
        {
          Name: 'Map',
          Type: 'Map',
          ProcessorConfig: { Mode: 'DISTRIBUTED' },
          ItemReader: { SourceType: 'OSS_JSON_LIST', SourceParameters: { Bucket: BUCKET, ObjectName: 'items.json' } },
          Processor: { StartAt: 'Echo', States: [{ Name: 'Echo', Type: 'Pass', End: true }] },
          ResultWriter: { Parameters: { Bucket: BUCKET, Prefix: 'results/' } },
          End: true,
        },
      ],
    };
    const args: RunFlowInput = { definition, input: {} };
    const begun = Date.now();
    const handle = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `distmap-scale-${randomUUID()}`, args: [args] });
    const out = (await handle.result()) as { ItemCounts: unknown; ResultWriterDetails: { ObjectName: string } };
    const seconds = (Date.now() - begun) / 1000;
    assert.deepEqual(out.ItemCounts, { Total: ITEMS, Succeeded: ITEMS, Failed: 0 });

    // Every item's result is in storage once.
    const readJson = async (key: string): Promise<any> => JSON.parse(await fs.readFile(path.join(env.config.localStoreRoot, BUCKET, key), 'utf8'));
    const manifest = await readJson(out.ResultWriterDetails.ObjectName);
    assert.equal(manifest.ResultFiles.FAILED.length, 0);
    const seen = new Uint8Array(ITEMS);
    for (const file of manifest.ResultFiles.SUCCEEDED) {
      for (const r of (await readJson(file.Key)) as { Index: number; Output: { id: number } }[]) {
        assert.equal(r.Output.id, r.Index);
        seen[r.Index]++;
      }
    }
    assert.ok(seen.every((n) => n === 1), 'every item has exactly one result');

    // The run's chunks are gone from the work area.
    const runs = path.join(env.dir, 'work', 'flow-map-runs');
    assert.deepEqual(await fs.readdir(runs).catch(() => []), []);

    const facts = await historiesBelow(env.client, handle.workflowId);
    const mostEvents = Math.max(...facts.map((f) => f.events));
    const largestPayload = Math.max(...facts.map((f) => f.largestPayload));
    console.log(`distributed map: ${ITEMS} items in ${seconds.toFixed(1)} s; ${facts.length} histories, largest ${mostEvents} events (flow's own: ${facts[0].events}), largest payload ${largestPayload} bytes`);
    assert.ok(facts.length >= ITEMS / 1000, `${facts.length} histories`);
    assert.ok(mostEvents < HISTORY_EVENT_LIMIT / 10, `a history of ${mostEvents} events`);
    assert.ok(largestPayload < BLOB_SIZE_LIMIT / 2, `a payload of ${largestPayload} bytes`);
  });
});
