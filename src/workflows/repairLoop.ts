// Runs every shard task and audio encode, then re-runs the failed ones each
// time a repair is requested, until none is left (or the job is abandoned).
import type { EncodeAudioInput } from '../core/contracts';
import type { FailedShard } from '../core/job/progress';
import { runAudioTasks } from './audioTasks';
import { setPhase, type JobRun } from './jobRun';
import { awaitRepair } from './repair';
import type { ShardTask } from './shardBatch';
import { runShardTasks, type ShardRun, type ShardRunResult } from './shardTasks';

/** What the transcode stage runs: shard tasks (none for a source without encoded video) and one audio encode per rendition. */
export interface TranscodeWork {
  shards?: ShardRun;
  tasks: ShardTask[];
  audio: EncodeAudioInput[];
}

export async function transcodeWithRepair(run: JobRun, work: TranscodeWork, frames: Record<string, number>): Promise<void> {
  const { repair, progress } = run;
  repair.shardCount = work.shards?.shardCount ?? 0;
  const byKey = new Map(work.tasks.map((t) => [`${t.shard + 1}/${t.rendition}`, t]));
  const audioByRendition = new Map(work.audio.map((a) => [a.rendition.name, a]));
  let pending: ShardTask[] = work.tasks;
  let pendingAudio = work.audio;
  for (let round = 0; ; round++) {
    // Shards first, then audio, in one go: the commands of a job that fails nothing are those of every earlier version.
    const shards = work.shards && pending.length > 0 ? runShardTasks({ ...work.shards, label: round === 0 ? 'shards' : `repair-${round}` }, pending) : noShards();
    const audio = runAudioTasks(run, pendingAudio);
    // Let both finish before failing, so cleaning never races running encoders.
    const [video, sound] = await Promise.allSettled([shards, audio]);
    if (video.status === 'rejected') throw video.reason;
    if (sound.status === 'rejected') throw sound.reason;
    for (const [name, n] of Object.entries(video.value.frames)) frames[name] = (frames[name] ?? 0) + n;
    // Tasks left out of the last retry are still failed, next to any new failures.
    const failed: FailedShard[] = [...repair.failed, ...video.value.failed, ...sound.value];
    if (failed.length === 0) return;
    const chosen = await awaitRepair(repair, failed, run.job.repairDeadlineSeconds, () => setPhase(progress, 'awaiting-repair'), progress);
    repair.failed = failed.filter((f) => !chosen.includes(f));
    pending = chosen.filter((f) => !f.audio).map((f) => byKey.get(`${f.shard}/${f.rendition}`)!);
    pendingAudio = chosen.filter((f) => f.audio).map((f) => audioByRendition.get(f.rendition)!);
    setPhase(progress, 'transcoding');
  }
}

async function noShards(): Promise<ShardRunResult> {
  return { frames: {}, failed: [] };
}
