// Scenario: a distributed Map at sizes past what a test run affords. Real dev
// server, real workflows and storage activities; the items are a JSON list in
// the local flow store, the Processor a Pass state, the results in storage.
// Past 500 chunks (500,000 items) the run fans out through group children.
// Measures wall time, items per second, child workflows, and the largest
// history and payload of the run, which must stay far below Temporal's limits.
import * as path from 'node:path';
import { historiesBelow, runPassMap, writeItemList } from '../../test/support/distributedMapRun';
import type { BenchContext } from '../context';
import { startInProcess } from '../harness';
import { fixed, seconds, table, type Check, type ScenarioResult } from '../report';

const BUCKET = 'bench-map';
/** A history this long is a tenth of Temporal's 51,200-event limit. */
const EVENTS_BOUND = 5_120;
/** A payload this large is half of Temporal's 2 MB limit. */
const PAYLOAD_BOUND = 1024 * 1024;

export async function distributedMapScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const sizes = ctx.quick ? [20_000] : [100_000, 600_000];
  const rows: (string | number)[][] = [];
  const runs: Record<string, unknown>[] = [];
  const checks: Check[] = [];
  for (const n of sizes) {
    const dataDir = path.join(ctx.tmp, `distmap-${n}`);
    const workers = await startInProcess({ client: ctx.client, temporalAddress: ctx.temporalAddress, dataDir, mediaConcurrency: 1 });
    try {
      ctx.log(`distributedMap: ${n} items`);
      await writeItemList(workers.config.localStoreRoot, BUCKET, 'items.json', n);
      const run = await runPassMap(ctx.client, workers.config.taskQueue, BUCKET, 'items.json');
      const facts = await historiesBelow(ctx.client, run.workflowId);
      const mostEvents = Math.max(...facts.map((f) => f.events));
      const largestPayload = Math.max(...facts.map((f) => f.largestPayload));
      const ok = run.output.ItemCounts.Succeeded === n && mostEvents < EVENTS_BOUND && largestPayload < PAYLOAD_BOUND;
      checks.push({ name: `${n.toLocaleString('en-US')}-item distributed Map completes with bounded histories`, ok, detail: `${run.output.ItemCounts.Succeeded} succeeded, largest history ${mostEvents} events, largest payload ${largestPayload} bytes` });
      rows.push([n, seconds(run.wallMs), `${fixed(n / (run.wallMs / 1000), 0)} /s`, facts.length - 1, mostEvents, `${fixed(largestPayload / 1024, 1)} KiB`]);
      runs.push({ items: n, wallMs: run.wallMs, childWorkflows: facts.length - 1, mostEvents, largestPayload });
    } finally {
      await workers.close();
    }
  }
  return {
    name: 'distributedMap',
    title: 'Distributed Map at scale (a Pass state per item, items and results in the local flow store, one worker process)',
    table: table(['items', 'total', 'items/s', 'child workflows', 'largest history (events)', 'largest payload'], rows),
    notes: [],
    checks,
    data: { runs },
    elapsedMs: performance.now() - t0,
  };
}
