// The environment ffmpeg and ffprobe run in: ours, plus glibc malloc settings
// that keep freed frame buffers in the process.

/**
 * glibc hands a large freed block back to the kernel at once (mmap'd blocks on free, the heap's top past the
 * trim threshold), and a one-thread x264 frees and allocates frame-sized blocks all the time, so each comes
 * back as freshly faulted, zeroed pages. Keeping them cut a 1080p shard encode's system time from 0.5–3.0 s to
 * 0.2–1.5 s and its CPU by about 8 % (two 150-frame encodes side by side, docs/benchmarks.md). Blocks up to
 * 256 MiB, far above a 4K frame, come from the heap and stay there: the bench's largest ffmpeg peaked at
 * 164 MB instead of 155 MB.
 */
export const MEDIA_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=268435456';

/** `env` with the malloc settings, unless the operator set GLIBC_TUNABLES (even to nothing): theirs wins. */
export function mediaProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.GLIBC_TUNABLES !== undefined) return env;
  return { ...env, GLIBC_TUNABLES: MEDIA_MALLOC_TUNABLES };
}
