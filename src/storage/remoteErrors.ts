// What a failed request to a remote store means for a job: retry it, or fail
// for good with a message that names the object and the store's reason. Both
// backends reduce their client's errors to a RemoteFault and share this.
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType, missingObject, permanentError } from '../core/errors';

export interface RemoteFault {
  /** HTTP status when the store answered; absent when the request never got an answer. */
  status?: number;
  /** The store's error code (NoSuchKey, SignatureDoesNotMatch, SlowDown) or a network code (ECONNRESET). */
  code?: string;
  message: string;
}

/** How a backend names itself in messages and where its credentials come from. */
export interface RemoteBackend {
  name: string;
  credentialHint: string;
  /** Values that must never reach a message: secrets, tokens, key ids. */
  secrets: string[];
}

const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'ServiceUnavailable',
  'InternalError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'TimeoutError',
]);

export function isTransientFault(fault: RemoteFault): boolean {
  if (fault.status === undefined) return true;
  return fault.status >= 500 || fault.status === 429 || fault.status === 408 || TRANSIENT_CODES.has(fault.code ?? '');
}

/** Error types of remote failures that are neither a denial nor a missing object. */
export const StorageErrorType = {
  /** The store refused the request itself (a 4xx other than 403/404): a retry sends the same request. */
  Rejected: 'StorageRejected',
  /** 5xx, throttling or the network, still failing after our own retries; Temporal retries the activity. */
  Unavailable: 'StorageUnavailable',
  /** The worker lacks a setting or credential for this store; the message names the variable to set. */
  NotConfigured: 'StorageNotConfigured',
} as const;

export function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: StorageErrorType.NotConfigured, nonRetryable: true, message });
}

/**
 * The failure to throw for `fault` while doing `action` ("reading", "writing") on `url`. Denials and missing
 * objects are permanent; the store's own message is kept, cut short and stripped of every credential. A 404
 * names `missing`: for a copy that is the source, not the destination being written.
 */
export function remoteFailure(backend: RemoteBackend, action: string, url: string, fault: RemoteFault, missing = url): ApplicationFailure {
  const reason = describeFault(backend, fault);
  if (fault.status === 403) {
    return permanentError(
      ErrorType.AccessDenied,
      `${backend.name} denied ${action} ${url}: ${reason}; check ${backend.credentialHint} and the bucket's policy`,
    );
  }
  if (fault.status === 404 && fault.code === 'NoSuchBucket') {
    return permanentError(ErrorType.MissingObject, `${url}: the bucket does not exist in ${backend.name} (${reason})`);
  }
  if (fault.status === 404) return missingObject(missing);
  if (fault.status === 412) {
    // Ranged reads carry If-Match: the object was replaced mid-download, and a new attempt reads the new one.
    return ApplicationFailure.create({ type: StorageErrorType.Unavailable, message: `${url} changed while it was being read (${reason})` });
  }
  if (isTransientFault(fault)) {
    return ApplicationFailure.create({ type: StorageErrorType.Unavailable, message: `${action} ${url} failed: ${reason}` });
  }
  return ApplicationFailure.create({
    type: StorageErrorType.Rejected,
    nonRetryable: true,
    message: `${backend.name} refused ${action} ${url}: ${reason}`,
  });
}

function describeFault(backend: RemoteBackend, fault: RemoteFault): string {
  const head = [fault.code, fault.status !== undefined ? `HTTP ${fault.status}` : undefined].filter(Boolean).join(', ');
  const text = redact(fault.message, backend.secrets).replace(/\s+/g, ' ').trim().slice(0, 300);
  return head ? `${head}: ${text}` : text;
}

/** exists() for remote stores: a HEAD that finds nothing is false; a denial or outage still throws. */
export async function existsByHead(head: () => Promise<unknown>): Promise<boolean> {
  try {
    await head();
    return true;
  } catch (err) {
    if ((err as { type?: string }).type === ErrorType.MissingObject) return false;
    throw err;
  }
}

/** Replaces every credential in `text` with "***". */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
