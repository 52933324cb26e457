// Runs every shard task, then re-runs the failed ones each time a repair is
// requested, until none is left (or the job is abandoned).
import { setPhase, type JobRun } from './jobRun';
import { awaitRepair } from './repair';
import type { ShardTask } from './shardBatch';
import { runShardTasks, type ShardRun } from './shardTasks';

export async function transcodeWithRepair(run: JobRun, shards: ShardRun, tasks: ShardTask[], frames: Record<string, number>): Promise<void> {
  const { repair, progress } = run;
  repair.shardCount = shards.shardCount;
  const byKey = new Map(tasks.map((t) => [`${t.shard + 1}/${t.rendition}`, t]));
  let pending = tasks;
  for (let round = 0; ; round++) {
    const outcome = await runShardTasks({ ...shards, label: round === 0 ? 'shards' : `repair-${round}` }, pending);
    for (const [name, n] of Object.entries(outcome.frames)) frames[name] = (frames[name] ?? 0) + n;
    // Shards left out of the last retry are still failed, next to any new failures.
    const failed = [...repair.failed, ...outcome.failed];
    if (failed.length === 0) return;
    const chosen = await awaitRepair(repair, failed, run.job.repairDeadlineSeconds, () => setPhase(progress, 'awaiting-repair'), progress);
    repair.failed = failed.filter((f) => !chosen.includes(f));
    pending = chosen.map((f) => byKey.get(`${f.shard}/${f.rendition}`)!);
    setPhase(progress, 'transcoding');
  }
}
