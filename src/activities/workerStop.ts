// A worker told to stop at once (a second SIGTERM or SIGINT) cancels its
// running activities itself instead of waiting out its grace period: the
// Temporal SDK has no call that shortens a shutdown already begun. Every
// activity's cancellation signal also fires on this one, so ffmpeg is killed
// and scratch removed exactly as on a cancel from the server.
const stopNow = new AbortController();

/** Cancels every activity running in this process, and any that starts later. */
export function cancelRunningActivities(reason: string): void {
  stopNow.abort(reason);
}

const combined = new WeakMap<AbortSignal, AbortSignal>();

/** `signal` (an activity's own cancellation), which also fires when the worker is told to stop at once. */
export function withWorkerStop(signal: AbortSignal): AbortSignal {
  let both = combined.get(signal);
  if (!both) {
    both = AbortSignal.any([signal, stopNow.signal]);
    combined.set(signal, both);
  }
  return both;
}
