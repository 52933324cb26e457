// The shared-secret HMAC that authenticates trigger requests:
//   X-Shardflow-Timestamp: <whole Unix seconds>
//   X-Shardflow-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>
// The timestamp must be within 5 minutes of the server's clock and a signature
// is accepted once, so a captured request cannot start a job again later.
import { createHmac } from 'node:crypto';
import { ReplayCache, sameBytes, staleTimestampReason } from '../requestSigning';

export const SIGNATURE_HEADER = 'x-shardflow-signature';
export const TIMESTAMP_HEADER = 'x-shardflow-timestamp';
export const SECRET_ENV = 'SHARDFLOW_TRIGGER_SECRET';
/** Short secrets can be guessed offline from one signed request. */
export const MIN_SECRET_LENGTH = 16;

function unixNow(): string {
  return String(Math.floor(Date.now() / 1000));
}

function mac(secret: string, timestamp: string, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The X-Shardflow-Signature value for `body` sent at `timestamp`. */
export function signTrigger(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${mac(secret, timestamp, body).toString('hex')}`;
}

/** Both headers a sender adds, for the current time unless told otherwise. */
export function signedTriggerHeaders(secret: string, body: Buffer | string, timestamp = unixNow()): Record<string, string> {
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signTrigger(secret, timestamp, body) };
}

/** The header value in the one accepted form, or undefined; checked before the body is read. */
export function parseSignatureHeader(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
  return m ? Buffer.from(m[1], 'hex') : undefined;
}

/** Why the timestamp header is refused, or undefined when it is fresh; checked before the body is read. */
export function timestampProblem(value: string | string[] | undefined, nowMs = Date.now()): string | undefined {
  if (typeof value !== 'string') return 'missing X-Shardflow-Timestamp header (whole Unix seconds, signed with the body)';
  return staleTimestampReason(value.trim(), nowMs, 'X-Shardflow-Timestamp');
}

/** Constant-time check of a signature over timestamp and body. */
export function signatureMatches(secret: string, timestamp: string, body: Buffer, claimed: Buffer): boolean {
  return sameBytes(claimed, mac(secret, timestamp, body));
}

export { ReplayCache };

/** The secret from the environment; refuses to run without a usable one. */
export function secretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env[SECRET_ENV];
  if (!secret) throw new Error(`${SECRET_ENV} is not set; trigger requests are authenticated with it`);
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`${SECRET_ENV} must be at least ${MIN_SECRET_LENGTH} characters long`);
  return secret;
}
