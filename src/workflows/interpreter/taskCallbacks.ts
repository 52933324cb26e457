// Callback tasks: the task's function gets a task token, then the task waits
// until `flow callback <token>` (the taskCallback Update) reports its output
// or its error, as ReportTaskSucceeded / ReportTaskFailed do on Alibaba
// Cloud. Each attempt has a token of its own; a token is answered once.
import { condition, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { FlowErrorName } from '../../core/flow/flowErrors';
import { taskCallbackUpdate } from '../../core/flow/flowNames';
import { makeTaskToken, type CallbackAccepted, type CallbackReport } from '../../core/flow/taskTokens';
import { flowFailure } from './flowFailures';

/** The error a refused callback carries; the CLI shows its message. */
const CALLBACK_REFUSED = 'TaskCallbackRefused';

interface Waiting {
  stateName: string;
  report?: CallbackReport;
}

export class TaskCallbacks {
  private readonly waiting = new Map<string, Waiting>();
  /** Tokens no longer waiting, with why, so a second answer is refused with the reason. */
  private readonly closed = new Map<string, string>();

  /** Registered at workflow start, so an answer for an unknown or finished token is refused at once. */
  install(): void {
    setHandler(
      taskCallbackUpdate,
      (report): CallbackAccepted => {
        const task = this.waiting.get(report.token)!;
        task.report = report;
        this.waiting.delete(report.token);
        this.closed.set(report.token, `was already answered (state "${task.stateName}")`);
        return { executionId: workflowInfo().workflowId, stateName: task.stateName };
      },
      { validator: (report) => this.check(report) },
    );
  }

  private check(report: CallbackReport): void {
    const refuse = (why: string): never => {
      throw flowFailure(CALLBACK_REFUSED, `task token ${JSON.stringify(report?.token)} ${why}`);
    };
    if (report === null || typeof report !== 'object' || typeof report.token !== 'string') refuse('is not a task token');
    if ('error' in report && (typeof report.error !== 'string' || !report.error)) refuse(': a failure needs an error name');
    const closed = this.closed.get(report.token);
    if (closed) refuse(closed);
    if (!this.waiting.has(report.token)) refuse(`names no task that execution ${workflowInfo().workflowId} is waiting for`);
  }

  /**
   * Runs one attempt of a callback task: `invoke` sends the token to the function, then the
   * attempt waits for the callback, at most `timeoutSeconds` from its start (FnF.TaskTimeout).
   */
  async complete(stateName: string, timeoutSeconds: number | undefined, invoke: (token: string) => Promise<unknown>): Promise<unknown> {
    const token = makeTaskToken(workflowInfo().workflowId, uuid4());
    const task: Waiting = { stateName };
    this.waiting.set(token, task);
    const deadline = timeoutSeconds !== undefined ? Date.now() + timeoutSeconds * 1000 : undefined;
    try {
      await invoke(token);
      const answered = deadline === undefined ? (await condition(() => task.report !== undefined), true) : await condition(() => task.report !== undefined, Math.max(deadline - Date.now(), 1));
      if (!answered) {
        this.waiting.delete(token);
        this.closed.set(token, `timed out after ${timeoutSeconds} s (state "${stateName}")`);
        throw flowFailure(FlowErrorName.TaskTimeout, `state "${stateName}": no callback for its task token within ${timeoutSeconds} s`);
      }
      const report = task.report!;
      if ('error' in report) throw flowFailure(report.error, report.cause ?? '');
      return report.output;
    } finally {
      if (this.waiting.delete(token)) this.closed.set(token, `is no longer waited for (state "${stateName}" ended without it)`);
    }
  }
}
