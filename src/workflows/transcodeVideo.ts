// The job: probe → split → shards × renditions (child workflows) and audio in
// parallel → merge → verify → publish, cleaning the work area on every exit.
import {
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RenditionReport } from '../activities/types';
import { checkAgainstSource } from '../job/compatibility';
import { renditionFrameRate } from '../job/frameRate';
import { normalizeJob, type TranscodeJob, type TranscodeJobInput } from '../job/jobInput';
import { percentOf, type JobPhase, type JobProgress } from '../job/progress';
import type { RenditionSpec } from '../job/rendition';
import { DEFAULT_MEDIA_TASK_QUEUE, PHASE_KEY, progressQuery, shardProgressSignal, SOURCE_KEY } from '../names';
import { joinObjectUrl } from '../storage/objectUrl';
import { mediaOptions, storageOptions } from './activityOptions';
import { asCancelledIfCancellation } from './cancellation';
import { awaitRepair, installRepairHandlers, newRepairState, type RepairState } from './repair';
import type { ShardTask } from './shardBatch';
import { allShardTasks, runShardTasks, type ShardRun } from './shardTasks';

export interface TranscodeResult {
  jobId: string;
  output: string;
  manifestUrl: string;
  shards: number;
  renditions: (RenditionReport & { url: string })[];
}

export async function transcodeVideo(input: TranscodeJobInput): Promise<TranscodeResult> {
  const info = workflowInfo();
  const jobId = info.workflowId;
  const progress: JobProgress = { jobId, phase: 'starting', renditions: {}, percent: 0 };
  setHandler(progressQuery, () => ({ ...progress, percent: percentOf(progress.phase, progress.renditions) }));
  setHandler(shardProgressSignal, (delta) => {
    for (const [name, n] of Object.entries(delta.done)) if (progress.renditions[name]) progress.renditions[name].done += n;
    for (const [name, n] of Object.entries(delta.failed)) if (progress.renditions[name]) progress.renditions[name].failed += n;
  });
  const repair = newRepairState();
  installRepairHandlers(repair, progress);
  const setPhase = (phase: JobPhase): void => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE_KEY, value: phase }]);
  };

  try {
    const job = normalizeJob(input);
    upsertSearchAttributes([{ key: SOURCE_KEY, value: job.source.slice(0, 1000) }]);
    const storage = proxyActivities<Activities>(storageOptions(info.taskQueue));
    const workUrl = await storage.prepareWorkArea({ jobId, source: job.source, output: job.output });
    try {
      const result = await runStages(job, jobId, workUrl, setPhase, progress, repair);
      setPhase('cleaning');
      await storage.cleanWorkArea({ workUrl });
      setPhase('succeeded');
      return result;
    } catch (err) {
      await CancellationScope.nonCancellable(() => storage.cleanWorkArea({ workUrl }));
      throw err;
    }
  } catch (err) {
    progress.error = (err as Error).message;
    await CancellationScope.nonCancellable(async () => setPhase(isCancellation(err) ? 'cancelled' : 'failed'));
    throw asCancelledIfCancellation(err);
  }
}

async function runStages(
  job: TranscodeJob,
  jobId: string,
  workUrl: string,
  setPhase: (p: JobPhase) => void,
  progress: JobProgress,
  repair: RepairState,
): Promise<TranscodeResult> {
  const info = workflowInfo();
  const mediaQueue = job.mediaTaskQueue ?? DEFAULT_MEDIA_TASK_QUEUE;
  const media = proxyActivities<Activities>(mediaOptions(mediaQueue));
  const storage = proxyActivities<Activities>(storageOptions(info.taskQueue));
  const timings: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings[stage] = Date.now() - started;
    }
  };

  setPhase('probing');
  const source = await timed('probe', () => media.probeSource({ source: job.source }));
  checkAgainstSource(job, source);
  const video = source.video;
  const audio = source.audio;

  setPhase('splitting');
  const split = video
    ? await timed('split', () =>
        media.splitSource({ jobId, workUrl, source: job.source, videoStream: video.index, fps: video.frameRate, segmentSeconds: job.segmentSeconds }),
      )
    : { mode: 'range' as const, boundaries: [] };
  const shardCount = Math.max(0, split.boundaries.length - 1);
  const encoded = video ? job.renditions.filter((r) => r.video.codec !== 'copy') : [];
  for (const r of encoded) progress.renditions[r.name] = { total: shardCount, done: 0, failed: 0 };

  setPhase('transcoding');
  const frames: Record<string, number> = {};
  await timed('transcode', async () => {
    const work: Promise<unknown>[] = [];
    if (video && encoded.length > 0) {
      const run: ShardRun = {
        jobId,
        mediaTaskQueue: mediaQueue,
        common: {
          workUrl,
          source: job.source,
          mode: split.mode,
          videoStream: video.index,
          videoStart: video.startTime,
          sourceStart: source.startTime,
          fps: video.frameRate,
          geometry: { width: video.width, height: video.height, rotation: video.rotation },
          watermark: job.watermark,
        },
        renditions: encoded,
        shardCount,
        batchSize: job.batchSize,
        label: 'shards',
      };
      work.push(transcodeWithRepair(run, allShardTasks(split.boundaries, encoded), frames, repair, job.repairDeadlineSeconds, setPhase, progress));
    }
    if (audio) {
      for (const r of job.renditions.filter(encodesAudio)) {
        work.push(
          media.encodeAudio.executeWithOptions({ ...mediaOptions(mediaQueue), summary: `audio · ${r.name}` }, [
            { workUrl, source: job.source, audioStream: audio.index, rendition: r },
          ]),
        );
      }
    }
    // Let every branch finish before failing, so cleaning never races running encoders.
    const settled = await Promise.allSettled(work);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  const hasAudio = (r: RenditionSpec): boolean => audio !== undefined && r.audio.codec !== 'none';
  setPhase('merging');
  const merged = await timed('merge', () =>
    Promise.all(
      job.renditions.map((r) =>
        media.mergeRendition.executeWithOptions({ ...mediaOptions(mediaQueue), summary: `merge · ${r.name}` }, [
          {
            workUrl,
            source: job.source,
            rendition: r,
            shardCount,
            videoStream: video?.index,
            hasAudio: hasAudio(r),
            videoOffset: video && hasAudio(r) ? Math.max(0, video.startTime - source.startTime) : 0,
          },
        ]),
      ),
    ),
  );

  setPhase('verifying');
  const reports = await timed('verify', () =>
    Promise.all(
      job.renditions.map((r, i) =>
        media.verifyRendition.executeWithOptions({ ...mediaOptions(mediaQueue), summary: `verify · ${r.name}` }, [
          {
            rendition: r,
            url: merged[i],
            source,
            shardFrames: frames[r.name],
            fps: video ? renditionFrameRate(r, video.frameRate) : undefined,
            expectAudio: hasAudio(r),
          },
        ]),
      ),
    ),
  );

  setPhase('publishing');
  const names = Object.fromEntries(reports.map((r) => [r.name, r.file]));
  const manifest = {
    jobId,
    source: job.source,
    createdAt: new Date(Date.now()).toISOString(),
    segmentSeconds: job.segmentSeconds,
    splitMode: split.mode,
    shards: shardCount,
    sourceInfo: {
      duration: source.duration,
      videoCodec: video?.codec,
      width: video?.width,
      height: video?.height,
      rotation: video?.rotation,
      frameRate: video?.frameRate,
      variableFrameRate: video?.variableFrameRate,
      audioCodec: audio?.codec,
    },
    renditions: reports,
    timingsMs: timings,
  };
  const published = await timed('publish', () =>
    storage.publishOutputs({
      output: job.output,
      files: job.renditions.map((r, i) => ({ rendition: r.name, url: merged[i] })),
      manifest,
      names,
    }),
  );
  return {
    jobId,
    output: job.output,
    manifestUrl: published.manifestUrl,
    shards: shardCount,
    renditions: reports.map((r) => ({ ...r, url: joinObjectUrl(job.output, r.file) })),
  };
}

/** Runs every shard task, then re-runs failed ones each time a repair is requested, until none is left. */
async function transcodeWithRepair(
  run: ShardRun,
  tasks: ShardTask[],
  frames: Record<string, number>,
  repair: RepairState,
  deadlineSeconds: number,
  setPhase: (p: JobPhase) => void,
  progress: JobProgress,
): Promise<void> {
  repair.shardCount = run.shardCount;
  const byKey = new Map(tasks.map((t) => [`${t.shard + 1}/${t.rendition}`, t]));
  let pending = tasks;
  for (let round = 0; ; round++) {
    const outcome = await runShardTasks({ ...run, label: round === 0 ? 'shards' : `repair-${round}` }, pending);
    for (const [name, n] of Object.entries(outcome.frames)) frames[name] = (frames[name] ?? 0) + n;
    // Shards left out of the last retry are still failed, next to any new failures.
    const failed = [...repair.failed, ...outcome.failed];
    if (failed.length === 0) return;
    const chosen = await awaitRepair(repair, failed, deadlineSeconds, () => setPhase('awaiting-repair'), progress);
    repair.failed = failed.filter((f) => !chosen.includes(f));
    pending = chosen.map((f) => byKey.get(`${f.shard}/${f.rendition}`)!);
    setPhase('transcoding');
  }
}

function encodesAudio(r: RenditionSpec): boolean {
  return r.audio.codec !== 'none' && r.audio.codec !== 'copy';
}
