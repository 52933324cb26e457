// Where an output's video and audio begin relative to each other. The source's
// container start can come from a stream the output drops (an SCTE-35 or other
// data stream in a TS), so the offsets count from the earlier of the two kept
// streams, which keeps their distance exactly as in the source. Pure.
import type { MediaInfo } from './mediaInfo';

export interface StreamOffsets {
  /** Seconds the video starts after the earlier kept stream. */
  video: number;
  /** Seconds the audio starts after the earlier kept stream. */
  audio: number;
}

/** Offsets for an output that keeps the source's video and, when `keepsAudio`, its audio. */
export function streamOffsets(source: MediaInfo, keepsAudio: boolean): StreamOffsets {
  const { video, audio } = source;
  if (!video || !audio || !keepsAudio) return { video: 0, audio: 0 };
  const base = Math.min(video.startTime, audio.startTime);
  return { video: video.startTime - base, audio: audio.startTime - base };
}
