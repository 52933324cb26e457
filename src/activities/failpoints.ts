// Deliberate faults for drills and tests, off unless SHARDFLOW_FAILPOINTS is
// set in the worker's environment. Read on every call, so an in-process
// worker sees changes at once; a worker process sees them after a restart.
//
//   SHARDFLOW_FAILPOINTS="transcode:shard=3"                      shard 3 of every rendition
//   SHARDFLOW_FAILPOINTS="transcode:shard=3,rendition=mp4-720p;audio"
//
// Stages: transcode, audio, merge. Conditions: shard (1-based), rendition.
import { ApplicationFailure } from '@temporalio/common';

export type FailpointStage = 'transcode' | 'audio' | 'merge';

export interface FailpointSite {
  shard?: number;
  rendition?: string;
}

export function failpointMatches(spec: string, stage: FailpointStage, site: FailpointSite): string | undefined {
  for (const entry of spec.split(';').map((e) => e.trim()).filter(Boolean)) {
    const [name, conditions = ''] = entry.split(':', 2);
    if (name !== stage) continue;
    const ok = conditions
      .split(',')
      .filter(Boolean)
      .every((c) => {
        const [key, value] = c.split('=', 2);
        if (key === 'shard') return site.shard === Number(value);
        if (key === 'rendition') return site.rendition === value;
        return false;
      });
    if (ok) return entry;
  }
  return undefined;
}

/** Throws a retryable fault, as storage or network faults do, when a failpoint names this site. */
export function checkFailpoint(stage: FailpointStage, site: FailpointSite): void {
  const spec = process.env.SHARDFLOW_FAILPOINTS;
  if (!spec) return;
  const hit = failpointMatches(spec, stage, site);
  if (hit) {
    throw ApplicationFailure.create({ type: 'InjectedFault', message: `injected fault from failpoint "${hit}" (SHARDFLOW_FAILPOINTS)` });
  }
}
