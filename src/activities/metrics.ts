// The worker's own Prometheus metrics, next to the SDK's. They are recorded
// through the activity's metric meter, so they carry its task queue and
// activity type tags. A function handler has no meter, so there they are no-ops.
import type { StoreObserver } from '../storage/meteredStore';
import { currentActivityContext } from './activityContext';

/** The current activity's meter; outside an activity, or in a function handler without one, nothing records. */
function meter() {
  return currentActivityContext()?.metricMeter;
}

function add(name: string, unit: string, description: string, value: number, tags?: Record<string, string>): void {
  meter()?.createCounter(name, unit, description).add(value, tags);
}

export const workerMetrics = {
  shardDone(rendition: string): void {
    add('shardflow_shards_done', 'shards', 'shard encodes that succeeded', 1, { rendition });
  },
  shardFailed(rendition: string): void {
    add('shardflow_shard_attempts_failed', 'attempts', 'shard encode attempts that failed', 1, { rendition });
  },
  ffmpegSeconds(seconds: number): void {
    // A float histogram: counters are whole numbers, and most ffmpeg runs last fractions of a second.
    meter()?.createHistogram('shardflow_ffmpeg_seconds', 'float', 's', 'wall time spent in ffmpeg and ffprobe').record(seconds);
  },
};

/** Counts storage traffic; only active inside an activity, where a metric meter exists. */
export const storageMetrics: StoreObserver = {
  read(bytes) {
    add('shardflow_bytes_read', 'bytes', 'bytes read from object stores', bytes);
  },
  written(bytes) {
    add('shardflow_bytes_written', 'bytes', 'bytes written to object stores', bytes);
  },
};
