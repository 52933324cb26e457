// What a job id may be. The id names the job's work area (<work root>/<id>/),
// so it must be one plain path component in every store: no "/", no "%", no
// leading dot ("." and ".." would name the work root or its parent). Checked
// where jobs are started (CLI, client, triggers) and again by the workflow
// itself, which can be started by any Temporal client with any workflow id.
import { invalidJob } from '../errors';

export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const JOB_ID_RULE = '1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit';

export function isJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID_PATTERN.test(id);
}

/** Refuses a workflow id that cannot be a job id, before the workflow touches any storage. */
export function checkWorkflowJobId(workflowId: string): void {
  if (!isJobId(workflowId)) {
    throw invalidJob(
      `the workflow id ${JSON.stringify(workflowId)} cannot be a job id: it names the job's work area, so it must be ${JOB_ID_RULE}; start the job again with such an id`,
    );
  }
}
