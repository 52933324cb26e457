// Starting and following jobs from code: what the CLI uses, and what users
// call from their own programs.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { jobUiUrl, type Config } from './config';
import { fromAlibabaShapes, normalizeJob, type TranscodeJobInput } from './core/job/jobInput';
import type { JobProgress } from './core/job/progress';
import { PHASE_SEARCH_ATTRIBUTE, progressQuery, SOURCE_KEY, TRANSCODE_WORKFLOW } from './core/names';
import type { TranscodeResult } from './workflows/transcodeVideo';

export interface StartedJob {
  jobId: string;
  uiUrl: string;
  handle: WorkflowHandle;
}

export class JobNotFoundError extends Error {}

/** A sortable id that tells when the job started: job-20261127-034512-3fa2c1. */
export function newJobId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `job-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Validates locally first, so a bad job is refused before anything starts. */
export async function startTranscodeJob(client: Client, config: Config, raw: TranscodeJobInput): Promise<StartedJob> {
  // Map the Alibaba sample shapes first, so the media queue set below survives the mapping.
  const input = fromAlibabaShapes(raw) as TranscodeJobInput;
  const job = normalizeJob(input);
  const jobId = job.jobId ?? newJobId();
  const source = job.source.split('/').pop() ?? job.source;
  const handle = await client.workflow.start(TRANSCODE_WORKFLOW, {
    taskQueue: config.taskQueue,
    workflowId: jobId,
    args: [{ ...input, mediaTaskQueue: input.mediaTaskQueue ?? config.mediaTaskQueue }],
    staticSummary: `${source} → ${job.renditions.map((r) => r.name).join(', ')}`,
    staticDetails: `source: ${job.source}\noutput: ${job.output}\nsegmentSeconds: ${job.segmentSeconds ?? 'from the media slots'}`,
    typedSearchAttributes: [{ key: SOURCE_KEY, value: job.source.slice(0, 1000) }],
  });
  return { jobId, uiUrl: jobUiUrl(config, jobId), handle };
}

export interface JobStatus {
  jobId: string;
  status: string;
  startTime?: Date;
  closeTime?: Date;
  progress?: JobProgress;
  /** From the search attribute, when no worker answers the progress query. */
  phase?: string;
}

export async function describeJob(client: Client, jobId: string): Promise<JobStatus> {
  const handle = client.workflow.getHandle(jobId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new JobNotFoundError(`no job with id ${jobId}`);
    throw err;
  }
  const phase = description.searchAttributes[PHASE_SEARCH_ATTRIBUTE]?.[0] as string | undefined;
  return {
    jobId,
    status: description.status.name,
    startTime: description.startTime,
    closeTime: description.closeTime,
    progress: await readProgress(client, handle),
    phase,
  };
}

/** The progress query, or undefined when no worker answers within a few seconds (the call is cut off, not left pending). */
export async function readProgress(client: Client, handle: WorkflowHandle): Promise<JobProgress | undefined> {
  try {
    return await client.withDeadline(Date.now() + 3000, () => handle.query(progressQuery));
  } catch {
    return undefined;
  }
}

/** Waits for the result, reporting progress about once a second. */
export async function followJob(client: Client, handle: WorkflowHandle, onProgress: (p: JobProgress) => void): Promise<TranscodeResult> {
  let finished = false;
  const result = (handle.result() as Promise<TranscodeResult>).finally(() => {
    finished = true;
  });
  const poll = (async () => {
    while (!finished) {
      const p = await readProgress(client, handle);
      if (p && !finished) onProgress(p);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  try {
    return await result;
  } finally {
    await poll;
  }
}
