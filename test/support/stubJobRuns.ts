// Starting transcodeVideo jobs on the time-skipping test server and moving
// server time forward until they reach a phase.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import type { JobProgress } from '../../src/core/job/progress';
import { progressQuery, TRANSCODE_WORKFLOW } from '../../src/core/names';

/** A job on one task queue for both workflows and (stub) media work. */
export function startStubJob(env: TestWorkflowEnvironment, taskQueue: string, job: Partial<TranscodeJobInput> = {}): Promise<WorkflowHandle> {
  const input: TranscodeJobInput = { source: 'file:///media/in.mp4', output: 'file:///out/', renditions: ['mp4-360p'], ...job, mediaTaskQueue: taskQueue };
  return env.client.workflow.start(TRANSCODE_WORKFLOW, { taskQueue, workflowId: `job-${randomUUID().slice(0, 8)}`, args: [input] });
}

/**
 * Skips server time a step at a time until the job is in `phase`. Time stands still between steps, so a
 * job never runs past the phase it is awaited in (a repair deadline stays far ahead).
 */
export async function skipToPhase(env: TestWorkflowEnvironment, handle: WorkflowHandle, phase: string, step: Duration = '10s', steps = 30): Promise<JobProgress> {
  let progress = await handle.query(progressQuery);
  for (let i = 0; progress.phase !== phase && i < steps; i++) {
    await env.sleep(step);
    progress = await handle.query(progressQuery);
  }
  if (progress.phase !== phase) throw new Error(`job ${handle.workflowId} is in phase ${progress.phase}, not ${phase}, after ${steps} steps of ${step}`);
  return progress;
}
