// One shard task that keeps an ffmpeg slot busy for many seconds on any
// machine: all 20 s of a 640x360 25 fps clip (makeClip) at x264 veryslow.
import type { EncodeShardInput } from '../../src/core/contracts';

export const SLOW_CLIP = { seconds: 20, fps: 25, width: 640, height: 360 } as const;

export function slowShardInput(workUrl: string, clip: string): EncodeShardInput {
  return {
    common: {
      workUrl,
      source: `file://${clip}`,
      mode: 'range',
      videoStream: 0,
      grid: { timeBase: '1/12800', startPts: 0, endPts: 20 * 12800 },
      fps: '25/1',
      geometry: { width: 640, height: 360, rotation: 0 },
    },
    index: 0,
    count: 1,
    shard: { start: { num: 0, den: 1 }, end: { num: 20, den: 1 }, lastFrame: { num: 20 * 25 - 1, den: 25 }, firstFrame: { num: 0, den: 1 }, frames: 500 },
    rendition: { name: 'slow', container: 'mp4', video: { codec: 'h264', preset: 'veryslow' }, audio: { codec: 'aac' } },
  };
}
