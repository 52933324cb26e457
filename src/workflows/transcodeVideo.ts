// The job: probe → split → shards × renditions (child workflows) and audio in
// parallel → merge → verify → publish, cleaning the work area on every exit.
import { CancellationScope, isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../core/contracts';
import { checkWorkflowJobId } from '../core/job/jobId';
import { normalizeJob, type TranscodeJobInput } from '../core/job/jobInput';
import { percentOf, type JobProgress } from '../core/job/progress';
import { progressQuery, shardProgressSignal, SOURCE_KEY } from '../core/names';
import { storageOptions } from './activityOptions';
import { asCancelledIfCancellation } from './cancellation';
import { merge, probe, publish, split, transcode, verify, type TranscodeResult } from './jobStages';
import { newJobRun, setPhase, type JobRun } from './jobRun';
import { runStreamStages } from './streamStages';
import { installRepairHandlers, newRepairState } from './repair';

export type { TranscodeResult };

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

  try {
    checkWorkflowJobId(jobId);
    const job = normalizeJob(input);
    upsertSearchAttributes([{ key: SOURCE_KEY, value: job.source.slice(0, 1000) }]);
    const storage = proxyActivities<Activities>(storageOptions(info.taskQueue));
    const workUrl = await storage.prepareWorkArea({ jobId, source: job.source, output: job.output });
    try {
      const result = await runStages(newJobRun(job, workUrl, progress, repair));
      setPhase(progress, 'cleaning');
      await storage.cleanWorkArea({ workUrl });
      setPhase(progress, 'succeeded');
      return result;
    } catch (err) {
      await CancellationScope.nonCancellable(() => storage.cleanWorkArea({ workUrl }));
      throw err;
    }
  } catch (err) {
    progress.error = (err as Error).message;
    await CancellationScope.nonCancellable(async () => setPhase(progress, isCancellation(err) ? 'cancelled' : 'failed'));
    throw asCancelledIfCancellation(err);
  }
}

async function runStages(run: JobRun): Promise<TranscodeResult> {
  if (run.job.stream) return runStreamStages(run, run.job.stream);
  const source = await probe(run);
  const cuts = await split(run, source);
  const frames = await transcode(run, source, cuts);
  const merged = await merge(run, source, cuts);
  const reports = await verify(run, source, cuts, merged, frames);
  return publish(run, source, cuts, merged, reports);
}
