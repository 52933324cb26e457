// The awaiting-repair phase: failed shards and audio encodes wait for
// `retryShards` (re-run them), `abandon` (fail the job) or the repair deadline.
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { FailedShard, JobProgress } from '../core/job/progress';
import { describeFailedShards, RetryRefused, selectForRetry } from '../core/job/repair';
import { abandonUpdate, retryShardsUpdate } from '../core/names';

export interface RepairState {
  awaiting: boolean;
  failed: FailedShard[];
  shardCount: number;
  /** Set by an accepted retry, consumed by the waiting workflow. */
  toRetry?: FailedShard[];
  abandoned: boolean;
}

export function newRepairState(): RepairState {
  return { awaiting: false, failed: [], shardCount: 0, abandoned: false };
}

function refuseUnlessAwaiting(state: RepairState, progress: JobProgress): void {
  if (!state.awaiting || state.toRetry || state.abandoned) {
    throw new RetryRefused(`job ${progress.jobId} is not awaiting repair (phase: ${progress.phase})`);
  }
}

/** Registered at workflow start, so a request at the wrong moment is refused at once with the reason. */
export function installRepairHandlers(state: RepairState, progress: JobProgress): void {
  setHandler(
    retryShardsUpdate,
    (req) => {
      const chosen = selectForRetry(state.failed, state.shardCount, req ?? {});
      state.toRetry = chosen;
      return { accepted: chosen.map((f) => ({ shard: f.shard, rendition: f.rendition, ...(f.audio ? { audio: true } : {}) })) };
    },
    {
      validator: (req) => {
        refuseUnlessAwaiting(state, progress);
        if (selectForRetry(state.failed, state.shardCount, req ?? {}).length === 0) throw new RetryRefused('the request names no failed shard');
      },
    },
  );
  setHandler(
    abandonUpdate,
    () => {
      state.abandoned = true;
      return { abandoned: state.failed.length };
    },
    { validator: () => refuseUnlessAwaiting(state, progress) },
  );
}

/** Waits for a decision on `failed`; returns the shards to re-run, or throws when abandoned or out of time. */
export async function awaitRepair(state: RepairState, failed: FailedShard[], deadlineSeconds: number, enter: () => void, progress: JobProgress): Promise<FailedShard[]> {
  state.failed = failed;
  state.awaiting = true;
  progress.failedShards = failed;
  progress.repairDeadline = new Date(Date.now() + deadlineSeconds * 1000).toISOString();
  enter();
  const decided = await condition(() => state.toRetry !== undefined || state.abandoned, deadlineSeconds * 1000);
  state.awaiting = false;
  progress.repairDeadline = undefined;
  if (!decided || state.abandoned) {
    const why = state.abandoned ? 'abandoned' : `not repaired within ${deadlineSeconds} s`;
    throw ApplicationFailure.create({
      type: 'ShardsFailed',
      nonRetryable: true,
      message: `${failed.length} shard task(s) failed and the job was ${why}: ${describeFailedShards(failed, state.shardCount)}`,
      details: [failed],
    });
  }
  const chosen = state.toRetry!;
  state.toRetry = undefined;
  progress.failedShards = failed.filter((f) => !chosen.includes(f));
  // Rendition counts are of shard tasks; an audio encode is not one of them.
  for (const f of chosen.filter((c) => !c.audio)) {
    const r = progress.renditions[f.rendition];
    if (r) r.failed = Math.max(0, r.failed - 1);
  }
  return chosen;
}
