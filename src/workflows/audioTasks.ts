// Encodes each rendition's audio once (not per shard). An encode that uses up
// its retries is reported, not thrown, so the job waits for a repair as it does
// for a shard task; a permanent failure (the source's own bytes) or a cancel
// is thrown once every encode has ended. The encodes have a queue of their
// own, so they run beside the shard encodes instead of in a shard's slot.
import { ActivityFailure, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { EncodeAudioInput } from '../core/contracts';
import { rootMessage } from '../core/failureMessage';
import type { FailedShard } from '../core/job/progress';
import { audioTaskQueue } from '../core/names';
import { mediaOptions } from './activityOptions';
import type { JobRun } from './jobRun';
import { attemptsOf, permanentCause } from './shardBatch';

export async function runAudioTasks(run: JobRun, inputs: EncodeAudioInput[]): Promise<FailedShard[]> {
  const options = mediaOptions(audioTaskQueue(run.mediaQueue));
  const failed: FailedShard[] = [];
  let thrown: unknown;
  await Promise.all(
    inputs.map((input) =>
      run.media.encodeAudio.executeWithOptions({ ...options, summary: `audio · ${input.rendition.name}` }, [input]).then(
        () => undefined,
        (err: unknown) => {
          if (isCancellation(err) || permanentCause(err)) {
            thrown ??= err;
            return;
          }
          failed.push({
            shard: 0,
            audio: true,
            rendition: input.rendition.name,
            attempts: attemptsOf(err, options.retry?.maximumAttempts ?? 1),
            error: rootMessage(err),
            workflowId: workflowInfo().workflowId,
            activityId: (err instanceof ActivityFailure ? err.activityId : undefined) ?? '',
          });
        },
      ),
    ),
  );
  if (thrown !== undefined) throw thrown;
  return failed;
}
