// Waiting in tests for what another process does: ask again until it
// answers or the time is up. Tests wait with these; the few loops of their
// own judge more than an answer (playback that stalls, a job's result asked
// across server restarts).
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** `probe`'s first value other than undefined, asked every `everyMs`; undefined if `seconds` pass first. */
async function firstAnswer<T>(probe: () => T | undefined | Promise<T | undefined>, seconds: number, everyMs: number): Promise<T | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}

/** Asks `probe` every `everyMs` until it returns a value; throws after `seconds`, naming `what`. Its errors end the wait. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, seconds = 120, everyMs = 200): Promise<T> {
  const v = await firstAnswer(probe, seconds, everyMs);
  if (v === undefined) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
  return v;
}

/** Whether `condition` comes to hold within `seconds`, for a caller that asserts with its own message. */
export async function eventually(condition: () => boolean | Promise<boolean>, seconds: number, everyMs = 50): Promise<boolean> {
  return (await firstAnswer(async () => ((await condition()) ? true : undefined), seconds, everyMs)) ?? false;
}
