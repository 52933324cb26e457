// What every stage of one transcodeVideo run shares: the job, its work area,
// activity proxies for both queues, progress and per-stage timings.
import { proxyActivities, upsertSearchAttributes, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../core/contracts';
import type { TranscodeJob } from '../core/job/jobInput';
import type { JobPhase, JobProgress } from '../core/job/progress';
import { DEFAULT_MEDIA_TASK_QUEUE, PHASE_KEY } from '../core/names';
import { mediaOptions, storageOptions } from './activityOptions';
import type { RepairState } from './repair';

export interface JobRun {
  jobId: string;
  job: TranscodeJob;
  workUrl: string;
  mediaQueue: string;
  /** ffmpeg work, on the media queue. */
  media: ActivityInterfaceFor<Activities>;
  /** Storage bookkeeping, on the workflow's own queue. */
  storage: ActivityInterfaceFor<Activities>;
  progress: JobProgress;
  repair: RepairState;
  timingsMs: Record<string, number>;
}

export function setPhase(progress: JobProgress, phase: JobPhase): void {
  progress.phase = phase;
  upsertSearchAttributes([{ key: PHASE_KEY, value: phase }]);
}

export function newJobRun(job: TranscodeJob, workUrl: string, progress: JobProgress, repair: RepairState): JobRun {
  const info = workflowInfo();
  const mediaQueue = job.mediaTaskQueue ?? DEFAULT_MEDIA_TASK_QUEUE;
  return {
    jobId: info.workflowId,
    job,
    workUrl,
    mediaQueue,
    media: proxyActivities<Activities>(mediaOptions(mediaQueue)),
    storage: proxyActivities<Activities>(storageOptions(info.taskQueue)),
    progress,
    repair,
    timingsMs: {},
  };
}

/** Runs one stage under its phase and records how long it took. */
export async function stage<T>(run: JobRun, phase: JobPhase, name: string, work: () => Promise<T>): Promise<T> {
  setPhase(run.progress, phase);
  const started = Date.now();
  try {
    return await work();
  } finally {
    run.timingsMs[name] = Date.now() - started;
  }
}
