// What signed requests from outside (trigger events, function calls) share:
// a timestamp that must be close to our clock, a constant-time comparison, and
// a memory of signatures already accepted, so a captured request cannot be
// sent again: not within the window (remembered), not after it (too old).
import { timingSafeEqual } from 'node:crypto';

/** How far a sender's clock may be from ours, either way. */
export const MAX_SKEW_SECONDS = 300;

/** Why `timestamp` (whole Unix seconds) is refused, or undefined when it is fresh. */
export function staleTimestampReason(timestamp: string, nowMs: number, header: string): string | undefined {
  if (!/^\d{1,12}$/.test(timestamp)) return `${header} must be whole Unix seconds`;
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) return `${header} is ${Math.round(skew)} s away from this server's clock; at most ${MAX_SKEW_SECONDS} s is accepted`;
  return undefined;
}

/** Constant-time: the time taken says nothing about how much of a forged signature was right. */
export function sameBytes(claimed: Buffer, expected: Buffer): boolean {
  return claimed.length === expected.length && timingSafeEqual(claimed, expected);
}

/** Signatures accepted while their timestamp is still fresh; older ones fail the timestamp check anyway. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** Records a signature made at `timestamp`; false when it was recorded before. */
  firstUse(timestamp: string, signature: string, nowMs: number): boolean {
    if (this.seen.size > 1000) for (const [k, expires] of this.seen) if (expires <= nowMs) this.seen.delete(k);
    const key = `${timestamp}:${signature.toLowerCase()}`;
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > nowMs) return false;
    this.seen.set(key, (Number(timestamp) + MAX_SKEW_SECONDS + 1) * 1000);
    return true;
  }

  /** Lets a signature be used again: its request was not carried out, so sending it again is a retry, not a replay. */
  forget(timestamp: string, signature: string): void {
    this.seen.delete(`${timestamp}:${signature.toLowerCase()}`);
  }
}
