// ffmpeg/ffprobe arguments for a source's subtitle streams: one text track
// converted to WebVTT with its source times kept, and the cues a decoder
// shows (for verify, which reads the source by another route than the
// conversion). Plus reading that ffprobe answer.
import { sourceInput } from './sourceInput';

/**
 * Stream `index` of the source as WebVTT. -copyts keeps the source's own times (ffmpeg would otherwise take the
 * input's start off), so the cues are placed on the job's timeline in one step, by our code.
 */
export function webVttArgs(input: string, index: number, output: string): string[] {
  return ['-copyts', ...sourceInput(input), '-map', `0:${index}`, '-c:s', 'webvtt', '-f', 'webvtt', output];
}

/** ffprobe decoding stream `index` alone: one entry per subtitle the decoder shows, with its display times. */
export function subtitleFramesArgs(input: string, index: number): string[] {
  return ['-select_streams', String(index), '-show_frames', '-show_entries', 'frame=media_type,pts,start_display_time,end_display_time,num_rects', '-of', 'json', ...sourceInput(input)];
}

/** A decoded subtitle's display interval, milliseconds of source time. */
export interface DecodedCue {
  start: number;
  end: number;
}

interface SubtitleFrame {
  media_type?: string;
  /** AV_TIME_BASE (microseconds), whatever the stream's timebase. */
  pts?: number;
  start_display_time?: number;
  end_display_time?: number;
  num_rects?: number;
}

/** The cues in subtitleFramesArgs' answer: subtitles with something to show (an empty one clears the screen). */
export function decodedCues(json: string): DecodedCue[] {
  const frames = (JSON.parse(json) as { frames?: SubtitleFrame[] }).frames ?? [];
  return frames
    .filter((f) => f.media_type === 'subtitle' && (f.num_rects ?? 0) > 0 && f.pts !== undefined)
    .map((f) => ({ start: f.pts! / 1000 + (f.start_display_time ?? 0), end: f.pts! / 1000 + (f.end_display_time ?? 0) }));
}
