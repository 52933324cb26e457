// `shardflow flow callback <token> --output JSON | --error NAME [--cause TEXT]`:
// completes a callback task, as ReportTaskSucceeded / ReportTaskFailed do on
// Alibaba Cloud. The token names the execution; the answer is a Temporal
// Update, so an unknown or already answered token is refused at once.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { rootMessage } from '../core/failureMessage';
import { taskCallbackUpdate } from '../core/flow/flowNames';
import { taskTokenWorkflowId, type CallbackReport } from '../core/flow/taskTokens';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { withClient } from './withClient';

interface CallbackOptions {
  output?: string;
  error?: string;
  cause?: string;
  json?: boolean;
}

function reportOf(token: string, opts: CallbackOptions): CallbackReport {
  if ((opts.output === undefined) === (opts.error === undefined)) throw new CliError('give either --output JSON (the task succeeded) or --error NAME (it failed)', ExitCode.Usage);
  if (opts.error !== undefined) {
    if (!opts.error.trim()) throw new CliError('--error needs an error name', ExitCode.Usage);
    return { token, error: opts.error, ...(opts.cause !== undefined ? { cause: opts.cause } : {}) };
  }
  if (opts.cause !== undefined) throw new CliError('--cause goes with --error', ExitCode.Usage);
  try {
    return { token, output: JSON.parse(opts.output!) };
  } catch (err) {
    throw new CliError(`--output is not JSON: ${(err as Error).message}`, ExitCode.Usage);
  }
}

export function registerFlowCallback(flow: Command): void {
  flow
    .command('callback')
    .description("complete a callback task (TaskMode: WaitForCustomCallback, pattern: waitForCallback) with the token its function received")
    .argument('<token>', 'the task token ($Context.Task.Token / $context.task.token)')
    .option('--output <json>', 'the task succeeded with this output (ReportTaskSucceeded)')
    .option('--error <name>', 'the task failed with this error name, matched by Retry and Catch (ReportTaskFailed)')
    .option('--cause <text>', 'the cause of the failure')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (token: string, opts: CallbackOptions) => {
        const report = reportOf(token, opts);
        const executionId = taskTokenWorkflowId(token);
        if (!executionId) throw new CliError(`${JSON.stringify(token)} is not a task token`, ExitCode.Usage);
        return withClient(async (client) => {
          let accepted;
          try {
            accepted = await client.workflow.getHandle(executionId).executeUpdate(taskCallbackUpdate, { args: [report] });
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) throw new CliError(`task token refused: execution ${executionId} is not running (it finished, or never existed)`, ExitCode.NotFound);
            if (err instanceof WorkflowUpdateFailedError) throw new CliError(`task token refused: ${rootMessage(err)}`, ExitCode.Refused);
            throw err;
          }
          const outcome = 'error' in report ? `failed with ${report.error}` : 'succeeded';
          if (opts.json) process.stdout.write(`${JSON.stringify({ ...accepted, status: 'error' in report ? 'FAILED' : 'SUCCEEDED' })}\n`);
          else process.stdout.write(`state "${accepted.stateName}" of flow execution ${accepted.executionId} ${outcome}\n`);
          return ExitCode.Ok;
        });
      }),
    );
}
