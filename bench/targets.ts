// What the bench measures against. Scenarios note a miss; the published
// tables print these beside the results. A miss is a finding, not a failure.

/** shardflow's wall time over plain ffmpeg's on the same clip. */
export const TARGET_WALL_RATIO = 1.05;
/** 1,000 no-op shards through the dev server. */
export const TARGET_1000_SHARDS_MS = 20_000;
/** Peak RSS of a worker process while it transcodes a 2 GiB source. */
export const TARGET_PEAK_RSS_MB = 250;
/** PSNR of a chunked encode against single-pass at the same CRF. */
export const TARGET_PSNR_DELTA_DB = 0.2;
