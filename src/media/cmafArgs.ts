// ffmpeg arguments that write CMAF (fragmented MP4) segments for streaming
// output: an init segment plus numbered media segments, through ffmpeg's HLS
// muxer in fmp4 mode. Its playlist is scratch only; the job writes its own
// playlists from the whole ladder at the end.
import * as path from 'node:path';
import type { VideoCodec } from '../core/job/rendition';
import type { Rational } from '../core/media/rational';

/** Segment file names: numbered on the job's segment grid, the same in every rung. */
export const SEGMENT_PATTERN = 'seg-%05d.m4s';
export const INIT_SEGMENT = 'init.mp4';
/** The muxer's own playlist, read back to see which segments it wrote. */
export const SCRATCH_PLAYLIST = 'muxer.m3u8';

export function segmentFileName(n: number): string {
  return `seg-${String(n).padStart(5, '0')}.m4s`;
}

export interface CmafOutput {
  /** Folder the init segment, media segments and scratch playlist go to. */
  dir: string;
  /**
   * The muxer cuts at the first keyframe at least this many seconds after the last cut. Video passes a little
   * under a segment's length, so the forced keyframe at every segment boundary is always the one it cuts at.
   */
  cutAfterSeconds: number;
  /** Number of the first segment written. */
  firstNumber: number;
}

/** A video rung's `cutAfterSeconds`: half a frame under a segment, so the muxer cuts at every forced keyframe. */
export function videoCutAfterSeconds(segmentFrames: number, fps: Rational): number {
  return ((segmentFrames - 0.5) * fps.den) / fps.num;
}

export function cmafOutputArgs(o: CmafOutput): string[] {
  return [
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', o.cutAfterSeconds.toFixed(6), '-hls_playlist_type', 'vod',
    '-start_number', String(o.firstNumber), '-hls_fmp4_init_filename', INIT_SEGMENT,
    '-hls_segment_filename', path.join(o.dir, SEGMENT_PATTERN), '-hls_flags', 'independent_segments',
    path.join(o.dir, SCRATCH_PLAYLIST),
  ];
}

/**
 * Encoder settings for a rung's shard: an IDR at every segment boundary (the shard starts on one) and no B-frames,
 * so every fragment's first frame has pts = dts = its decode time: no edit list, and players place frames by
 * tfdt alone.
 */
export function segmentKeyframeArgs(segmentFrames: number, codec: VideoCodec): string[] {
  // x265 makes a forced keyframe a plain I-frame unless told: a segment must open with an IDR.
  const idr = codec === 'h265' ? ['-forced-idr', '1'] : [];
  return ['-bf', '0', '-g', String(segmentFrames), '-force_key_frames', `expr:eq(mod(n,${segmentFrames}),0)`, ...idr];
}

/** Stream-copies an encoded audio file into CMAF segments cut every `segmentSeconds`. */
export function segmentAudioArgs(input: string, segmentSeconds: number, dir: string): string[] {
  return ['-i', input, '-map', '0:a:0', '-c', 'copy', '-map_metadata', '-1', ...cmafOutputArgs({ dir, cutAfterSeconds: segmentSeconds, firstNumber: 0 })];
}
