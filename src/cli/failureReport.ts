// Turns any error into one sentence and an exit code: no stack traces for
// things a user can fix.
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { JobNotFoundError } from '../client';
import { ErrorType } from '../core/errors';
import { rootFailure, rootMessage } from '../core/failureMessage';
import { ServerUnreachableError } from '../temporalConnection';
import { CliError, ExitCode } from './exitCodes';

export { rootFailure };

export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ServerUnreachableError) return { message: err.message, exitCode: ExitCode.ServerUnreachable };
  if (err instanceof JobNotFoundError) return { message: `${err.message}; check the id, or look in the Web UI`, exitCode: ExitCode.NotFound };
  if (err instanceof ApplicationFailure && err.type === ErrorType.InvalidJob) return { message: err.message, exitCode: ExitCode.Usage };
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return { message: `a job with id ${err.workflowId} is already running; follow it with "shardflow status ${err.workflowId}" or choose another --job-id`, exitCode: ExitCode.Usage };
  }
  if (err instanceof WorkflowUpdateFailedError) return { message: `refused: ${rootMessage(err)}`, exitCode: ExitCode.Refused };
  if (err instanceof WorkflowFailedError) {
    const root = rootFailure(err);
    const kind = root instanceof ApplicationFailure && root.type ? ` [${root.type}]` : '';
    return { message: `job failed${kind}: ${rootMessage(err)}`, exitCode: ExitCode.JobFailed };
  }
  return { message: rootMessage(err), exitCode: ExitCode.JobFailed };
}
