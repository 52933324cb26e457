// The shared-secret HMAC that authenticates trigger requests:
//   X-Shardflow-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-shardflow-signature';
export const SECRET_ENV = 'SHARDFLOW_TRIGGER_SECRET';
/** Short secrets can be guessed offline from one signed request. */
export const MIN_SECRET_LENGTH = 16;

export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The header value in the one accepted form, or undefined; checked before the body is read. */
export function parseSignatureHeader(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
  return m ? Buffer.from(m[1], 'hex') : undefined;
}

/** Constant-time comparison: the time taken says nothing about how much of a forged signature was right. */
export function signatureMatches(secret: string, body: Buffer, claimed: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  return claimed.length === expected.length && timingSafeEqual(claimed, expected);
}

/** The secret from the environment; refuses to run without a usable one. */
export function secretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env[SECRET_ENV];
  if (!secret) throw new Error(`${SECRET_ENV} is not set; trigger requests are authenticated with it`);
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`${SECRET_ENV} must be at least ${MIN_SECRET_LENGTH} characters long`);
  return secret;
}
