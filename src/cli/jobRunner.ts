// Starts a job and, when asked, follows it to the end: shared by `transcode` and `demo`.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { followJob, startTranscodeJob } from '../client';
import type { Config } from '../config';
import type { TranscodeJobInput } from '../core/job/jobInput';
import type { TranscodeResult } from '../workflows/transcodeVideo';
import { ExitCode } from './exitCodes';
import { describeFailure } from './failureReport';
import { createProgressView } from './progressView';

export interface RunJobOptions {
  wait: boolean;
  json: boolean;
}

/** Warns when nothing polls the task queue: the job would sit there silently. */
async function warnIfNoWorker(client: Client, config: Config): Promise<void> {
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace: config.namespace,
      taskQueue: { name: config.taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((res.pollers ?? []).length === 0) {
      process.stderr.write(`shardflow: no worker polls task queue "${config.taskQueue}" yet; the job waits until one does. Start one with: npx shardflow worker\n`);
    }
  } catch {
    // Only a hint; never block a start on it.
  }
}

export function printResult(result: TranscodeResult): void {
  process.stdout.write(`outputs (${result.shards} shards):\n`);
  for (const r of result.renditions) {
    const size = `${(r.size / 1e6).toFixed(2)} MB`;
    const dims = r.width ? `${r.width}x${r.height}` : 'audio only';
    process.stdout.write(`  ${r.name.padEnd(12)} ${dims.padEnd(10)} ${r.duration.toFixed(2)} s  ${r.frames} frames  ${size}  ${r.url}\n`);
  }
  if (result.stream?.hls) process.stdout.write(`hls: ${result.stream.hls}\n`);
  if (result.stream?.dash) process.stdout.write(`dash: ${result.stream.dash}\n`);
  process.stdout.write(`manifest: ${result.manifestUrl}\n`);
}

export async function runJob(client: Client, config: Config, input: TranscodeJobInput, options: RunJobOptions): Promise<number> {
  const started = await startTranscodeJob(client, config, input);
  if (!options.json) {
    process.stdout.write(`started job ${started.jobId}\nWeb UI: ${started.uiUrl}\n`);
  }
  await warnIfNoWorker(client, config);
  if (!options.wait) {
    if (options.json) process.stdout.write(`${JSON.stringify({ jobId: started.jobId, uiUrl: started.uiUrl, status: 'RUNNING' })}\n`);
    return ExitCode.Ok;
  }
  // Progress goes to stderr either way; with --json, as plain lines, so stdout stays one JSON document.
  const view = createProgressView(process.stderr, options.json);
  try {
    const result = await followJob(client, started.handle, (p) => view.update(p));
    view.stop();
    if (options.json) process.stdout.write(`${JSON.stringify({ jobId: started.jobId, uiUrl: started.uiUrl, status: 'COMPLETED', result })}\n`);
    else printResult(result);
    return ExitCode.Ok;
  } catch (err) {
    view.stop();
    const { message, exitCode } = describeFailure(err);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ jobId: started.jobId, uiUrl: started.uiUrl, status: 'FAILED', error: message })}\n`);
    } else {
      process.stderr.write(`shardflow: ${message}\nThe job's history: ${started.uiUrl}\n`);
    }
    return exitCode;
  }
}
