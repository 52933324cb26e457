// Starts a job under a derived workflow id so that however often the same event
// arrives, one execution exists: a running one is reused (conflict policy
// USE_EXISTING) and a closed one is not started again (reuse policy).
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { jobUiUrl, type Config } from '../config';
import { normalizeJob, type TranscodeJobInput } from '../core/job/jobInput';
import { SOURCE_KEY, TRANSCODE_WORKFLOW } from '../core/names';
import type { ReusePolicy } from './triggerConfig';

/** Memo field holding a value unique to one start call: it tells whether that call created the execution. */
const DELIVERY_MEMO = 'shardflowDelivery';

export interface StartOnceRequest {
  workflowId: string;
  input: TranscodeJobInput;
  /** What caused the job; shown in the Web UI. */
  cause: string;
  reusePolicy?: ReusePolicy;
}

export interface StartOnceResult {
  jobId: string;
  runId: string;
  uiUrl: string;
  /** started: this call created the execution; duplicate: one with this id existed. */
  outcome: 'started' | 'duplicate';
  /** Status of the execution: RUNNING, or how an earlier one ended. */
  status: string;
}

export async function startOnce(client: Client, config: Config, req: StartOnceRequest): Promise<StartOnceResult> {
  const job = normalizeJob(req.input);
  const source = job.source.split('/').pop() ?? job.source;
  const delivery = randomUUID();
  const base = { jobId: req.workflowId, uiUrl: jobUiUrl(config, req.workflowId) };
  try {
    const handle = await client.workflow.start(TRANSCODE_WORKFLOW, {
      taskQueue: config.taskQueue,
      workflowId: req.workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: req.reusePolicy ?? 'REJECT_DUPLICATE',
      // The media queue is this server's to choose, whatever the input says: a job that named another queue could
      // reach workers with other storage access.
      args: [{ ...req.input, mediaTaskQueue: config.mediaTaskQueue }],
      memo: { [DELIVERY_MEMO]: delivery },
      staticSummary: `${source} → ${job.renditions.map((r) => r.name).join(', ')}`,
      staticDetails: `trigger: ${req.cause}\nsource: ${job.source}\noutput: ${job.output}\nsegmentSeconds: ${job.segmentSeconds}`,
      typedSearchAttributes: [{ key: SOURCE_KEY, value: job.source.slice(0, 1000) }],
    });
    // USE_EXISTING answers a duplicate with the running execution; only its memo says whose start created it.
    const description = await handle.describe();
    const started = description.memo?.[DELIVERY_MEMO] === delivery;
    return { ...base, runId: description.runId, outcome: started ? 'started' : 'duplicate', status: description.status.name };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A closed execution the reuse policy keeps from starting again.
    const description = await client.workflow.getHandle(req.workflowId).describe();
    return { ...base, runId: description.runId, outcome: 'duplicate', status: description.status.name };
  }
}
