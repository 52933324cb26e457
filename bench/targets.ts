// What the bench measures against. Scenarios note a miss; the published
// tables print these beside the results. A miss is a finding, not a failure.

/**
 * shardflow's wall time over plain ffmpeg's on the same clip, same run: below
 * plain ffmpeg for clips long enough to share out, level with it for a clip
 * of a few shards.
 */
export function targetWallRatio(clipSeconds: number): number {
  return clipSeconds <= 10 ? 1.05 : 0.95;
}
/** A streaming job's HLS ladder over plain ffmpeg making the same ladder in one command, same clip, same run. */
export const TARGET_LADDER_WALL_RATIO = 0.9;
/** Everything outside the parallel encodes, as a share of a 60 s job's wall time. */
export const TARGET_SERIAL_SHARE = 0.03;
/** The clip length the serial-share target is stated for. */
export const SERIAL_SHARE_CLIP_SECONDS = 60;
/** 1,000 no-op shards through the dev server. */
export const TARGET_1000_SHARDS_MS = 5_000;
/** Peak RSS of a worker process while it transcodes a 2 GiB source, by role. */
export const TARGET_PEAK_RSS_MB: Record<'all' | 'media' | 'workflows', number> = { all: 180, media: 130, workflows: 180 };
/** PSNR of a chunked encode against single-pass at the same CRF. */
export const TARGET_PSNR_DELTA_DB = 0.2;
/** The same for 2 s shards, where every shard's first frame weighs most. */
export const TARGET_SHORT_SHARD_PSNR_DELTA_DB = 0.05;
/** Remote sources read by range: bytes one shard reads over its share of the source. */
export const TARGET_RANGE_BYTES_RATIO = 1.2;
