// The job's shard plan, kept as one object in its work area. Workflow history
// carries only where it is and how many shards it holds; each shard task reads
// its own spec from it. Plans never change once split wrote them, so a worker
// keeps the few it is working on parsed.
import { promises as fs } from 'node:fs';
import type { SeamFacts } from '../core/contracts';
import { seamCuts, type ShardPlan, type ShardSpec } from '../core/media/shardPlan';
import type { Stores } from '../storage/stores';
import { withScratch } from './activityKit';
import { RecentlyUsed } from './recentlyUsed';

/** Plans kept parsed per worker process: a 20,000-shard plan is a few MB, read once, not once per shard. */
const parsed = new RecentlyUsed<Promise<ShardPlan>>(8);

/** Stores a split's plan and keeps it parsed: the split's own worker (a flow's split, then shard tasks) reads it next. */
export async function writeShardPlan(stores: Stores, url: string, plan: ShardPlan): Promise<void> {
  await stores.for(url).putText(url, JSON.stringify(plan));
  parsed.set(url, Promise.resolve(plan));
}

export function readShardPlan(stores: Stores, url: string, scratchDir: string): Promise<ShardPlan> {
  const known = parsed.get(url);
  if (known) return known;
  const reading = withScratch(scratchDir, async (scratch) => JSON.parse(await fs.readFile(await stores.for(url).localPath(url, scratch), 'utf8')) as ShardPlan);
  parsed.set(url, reading);
  // A failed read (a missing plan, an outage) is not kept: the next attempt reads again.
  reading.catch(() => parsed.delete(url));
  return reading;
}

/** Shard `index` (0-based) of the plan at `url`. */
export async function shardSpecAt(stores: Stores, url: string | undefined, index: number, scratchDir: string): Promise<ShardSpec> {
  if (!url) throw new Error('internal: a shard task needs its spec or the plan that holds it');
  const plan = await readShardPlan(stores, url, scratchDir);
  const spec = plan.shards[index];
  if (!spec) throw new Error(`internal: the plan ${url} has ${plan.shards.length} shards, not a shard ${index + 1}`);
  return spec;
}

/** The cuts a seam check looks at: given, or found in the job's plan. */
export async function seamCutsOf(stores: Stores, facts: SeamFacts, scratchDir: string): Promise<number[]> {
  if (facts.cuts) return facts.cuts;
  if (!facts.planUrl) throw new Error('internal: seam facts need the cuts or the plan that holds them');
  return seamCuts((await readShardPlan(stores, facts.planUrl, scratchDir)).shards, facts.gridStart);
}
