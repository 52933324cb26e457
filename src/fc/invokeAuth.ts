// Who may call POST /invoke: whoever holds the shared secret. The caller signs
// method, path, a timestamp and the exact body bytes with HMAC-SHA256; the
// handler checks the signature in constant time, refuses timestamps more than
// five minutes off, and refuses a (timestamp, signature) pair it has already
// accepted, so a captured call cannot be sent again.
//
// Platforms that forward only the body (FC event invocations drop custom
// headers) carry the same three values in a body envelope instead:
//   {"timestamp": "<unix seconds>", "signature": "<hex>", "body": "<the InvokeRequest JSON text>"}
import { createHmac } from 'node:crypto';
import { sameBytes, staleTimestampReason, type ReplayCache } from '../requestSigning';

export { ReplayCache } from '../requestSigning';

export const FC_SECRET_ENV = 'SHARDFLOW_FC_SECRET';
export const TIMESTAMP_HEADER = 'x-shardflow-timestamp';
export const SIGNATURE_HEADER = 'x-shardflow-signature';
/** Short secrets can be guessed offline from one signed request. */
export const MIN_SECRET_LENGTH = 16;
const INVOKE_METHOD = 'POST';
const INVOKE_PATH = '/invoke';

/** HMAC-SHA256 (hex) of "METHOD\nPATH\nTIMESTAMP\n" followed by the body bytes. */
export function invokeSignature(secret: string, method: string, path: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${method}\n${path}\n${timestamp}\n`).update(body).digest('hex');
}

function unixNow(): string {
  return String(Math.floor(Date.now() / 1000));
}

/** Headers a caller adds to POST /invoke carrying `body`. */
export function signedInvokeHeaders(secret: string, body: string, timestamp = unixNow()): Record<string, string> {
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: invokeSignature(secret, INVOKE_METHOD, INVOKE_PATH, timestamp, body) };
}

/** The body envelope for platforms that forward only the body. */
export function signedInvokeEnvelope(secret: string, body: string, timestamp = unixNow()): string {
  return JSON.stringify({ timestamp, signature: invokeSignature(secret, INVOKE_METHOD, INVOKE_PATH, timestamp, body), body });
}

/** True for addresses only this machine can reach: the one place a handler may run without a secret. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The secret from the environment, or undefined; a set but short secret is refused. */
export function invokeSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const secret = env[FC_SECRET_ENV];
  if (!secret) return undefined;
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`${FC_SECRET_ENV} must be at least ${MIN_SECRET_LENGTH} characters long`);
  return secret;
}

export interface SignedCall {
  method: string;
  path: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer | string;
}

/** Why the call is not authentic, or undefined when it is (and it is now remembered as used). */
export function checkSignedCall(secret: string, call: SignedCall, replays: ReplayCache, nowMs = Date.now()): string | undefined {
  const { timestamp, signature } = call;
  if (!timestamp || !signature) return `the call is not signed: send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} (HMAC-SHA256 with ${FC_SECRET_ENV})`;
  const stale = staleTimestampReason(timestamp, nowMs, TIMESTAMP_HEADER);
  if (stale) return stale;
  if (!/^[0-9a-f]{64}$/i.test(signature)) return `${SIGNATURE_HEADER} must be 64 hex digits`;
  const expected = Buffer.from(invokeSignature(secret, call.method, call.path, timestamp, call.body), 'hex');
  if (!sameBytes(Buffer.from(signature, 'hex'), expected)) return `the signature does not match; the caller and this function must share the same ${FC_SECRET_ENV}`;
  if (!replays.firstUse(timestamp, signature, nowMs)) return 'this signed call was already received once; a call cannot be replayed';
  return undefined;
}

/** The envelope's fields when `raw` is one, else undefined. */
export function parseInvokeEnvelope(raw: Buffer): { timestamp: string; signature: string; body: string } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const { timestamp, signature, body } = doc as Record<string, unknown>;
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || typeof body !== 'string') return undefined;
  if (Object.keys(doc).length !== 3) return undefined;
  return { timestamp, signature, body };
}
