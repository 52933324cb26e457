// Task tokens of callback tasks (CloudFlow `TaskMode: WaitForCustomCallback`,
// FDL `pattern: waitForCallback`). A token names the execution that waits
// (the workflow to send the callback Update to) and one attempt of one task
// in it (a random nonce), so `flow callback <token>` needs nothing else.
// Pure: the workflow makes tokens, the CLI reads them.
import { base64Decode, base64Encode, utf8Decode, utf8Encode } from './textBytes';

/** What a callback reports: the task's output, or its error name and cause. */
export type CallbackReport = { token: string; output: unknown } | { token: string; error: string; cause?: string };

/** What an accepted callback answers: which execution and state it completed. */
export interface CallbackAccepted {
  executionId: string;
  stateName: string;
}

const toUrlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_');
const fromUrlSafe = (text: string): string => text.replace(/-/g, '+').replace(/_/g, '/');

/** `<workflow id, Base64url>.<nonce>`; the nonce comes from the workflow's deterministic uuid4. */
export function makeTaskToken(workflowId: string, nonce: string): string {
  return `${toUrlSafe(base64Encode(utf8Encode(workflowId)))}.${nonce}`;
}

/** The workflow id a token names, or undefined when the text is not a task token. */
export function taskTokenWorkflowId(token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0 || dot === token.length - 1) return undefined;
  const bytes = base64Decode(fromUrlSafe(token.slice(0, dot)));
  const id = bytes ? utf8Decode(bytes) : undefined;
  return id ? id : undefined;
}
