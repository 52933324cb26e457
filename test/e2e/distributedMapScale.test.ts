// A distributed Map over 100,000 items on the real dev server: the items come
// from a JSON list object (ItemReader, in the local flow store the built-ins
// use), a Pass state processes each, and a ResultWriter holds the results.
// Every history of the run (the flow's and each child's) stays small: no list
// of items or results passes through one history whole. Larger runs (and the
// group level past 500 chunks) are in the bench's distributedMap scenario.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historiesBelow, runPassMap, writeItemList } from '../support/distributedMapRun';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const ITEMS = 100_000;
const BUCKET = 'scale-map';
/** Temporal fails an execution whose history passes this many events. */
const HISTORY_EVENT_LIMIT = 51_200;
/** Temporal refuses a payload larger than this by default. */
const BLOB_SIZE_LIMIT = 2 * 1024 * 1024;

let env: TestEnv;
before(async () => {
  delete process.env.SHARDFLOW_FLOW_STORE;
  env = await createTestEnv();
  await writeItemList(env.config.localStoreRoot, BUCKET, 'items.json', ITEMS);
});
after(async () => {
  await env.close();
});

describe('distributed Map at scale', () => {
  it(`${ITEMS} items through a Pass state, results in storage, every history bounded`, { timeout: 300_000 }, async () => {
    const run = await runPassMap(env.client, env.config.taskQueue, BUCKET, 'items.json');
    assert.deepEqual(run.output.ItemCounts, { Total: ITEMS, Succeeded: ITEMS, Failed: 0 });

    // Every item's result is in storage once.
    const readJson = async (key: string): Promise<any> => JSON.parse(await fs.readFile(path.join(env.config.localStoreRoot, BUCKET, key), 'utf8'));
    const manifest = await readJson(run.output.ResultWriterDetails.ObjectName);
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
    assert.deepEqual(await fs.readdir(path.join(env.dir, 'work', 'flow-map-runs')).catch(() => []), []);

    const facts = await historiesBelow(env.client, run.workflowId);
    const mostEvents = Math.max(...facts.map((f) => f.events));
    const largestPayload = Math.max(...facts.map((f) => f.largestPayload));
    console.log(`distributed map: ${ITEMS} items in ${(run.wallMs / 1000).toFixed(1)} s; ${facts.length} histories, largest ${mostEvents} events (flow's own: ${facts[0].events}), largest payload ${largestPayload} bytes`);
    assert.ok(facts.length >= ITEMS / 1000, `${facts.length} histories`);
    assert.ok(mostEvents < HISTORY_EVENT_LIMIT / 10, `a history of ${mostEvents} events`);
    assert.ok(largestPayload < BLOB_SIZE_LIMIT / 2, `a payload of ${largestPayload} bytes`);
  });
});
