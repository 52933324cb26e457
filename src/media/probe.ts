// Reads what a source holds: ffprobe's JSON for streams and format, and the
// video's frame timeline (packets, checked against decoding) for the grid.
import { ProcessError } from './runProcess';
import { runFfprobe } from './ffmpeg';
import { refusedFormat, refusedFormatReason, sourceInput } from './sourceInput';
import { parseTimeBase } from '../core/media/frameGrid';
import type { AudioInfo, MediaInfo, SubtitleInfo, VideoInfo } from '../core/media/mediaInfo';
import { parseRational } from '../core/media/rational';
import { sourceGrid } from '../core/media/sourceGrid';
import { readTimeline, seeksByIndex, type ReadTimeline } from './readTimeline';
import { toolReason } from './toolFailure';

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number; default?: number; forced?: number };
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string; language?: string; title?: string };
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; start_time?: string; size?: string };
  streams?: FfprobeStream[];
}

export type { AudioInfo, MediaInfo, VideoInfo };

/** Raised when ffprobe cannot read the input at all; carries ffprobe's own words. */
export class UnreadableMediaError extends Error {}

function num(text: string | undefined, fallback = 0): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : fallback;
}

function rotationOf(stream: FfprobeStream): number {
  const raw = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation ?? num(stream.tags?.rotate);
  // Display-matrix rotation is counter-clockwise; turning upright needs the opposite.
  return (((-raw % 360) + 360) % 360) as number;
}

export async function probeStreams(file: string, signal?: AbortSignal): Promise<FfprobeJson> {
  let out: string;
  try {
    out = await runFfprobe(['-print_format', 'json', '-show_format', '-show_streams', ...sourceInput(file)], signal);
  } catch (err) {
    if (err instanceof ProcessError) {
      const format = refusedFormat(err.stderrTail);
      throw new UnreadableMediaError(format ? refusedFormatReason(format) : toolReason(err.stderrTail, file));
    }
    throw err;
  }
  return JSON.parse(out) as FfprobeJson;
}

/**
 * The video stream a single pass would take as `-map 0:v:0` and a user means: not a cover picture, the default
 * track first (phones add still-image tracks next to the video), else the first.
 */
export function mainVideoStream(streams: FfprobeStream[]): FfprobeStream | undefined {
  const video = streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  return video.find((s) => s.disposition?.default === 1) ?? video[0];
}

function videoInfo(v: FfprobeStream, timeline: ReadTimeline): VideoInfo {
  const tb = parseTimeBase(v.time_base ?? '1/90000');
  const { frameRate, grid, variableFrameRate } = sourceGrid(timeline, tb, parseRational(v.r_frame_rate));
  const seconds = (pts: number): number => (pts * tb.num) / tb.den;
  return {
    index: v.index,
    codec: v.codec_name ?? 'unknown',
    width: v.width ?? 0,
    height: v.height ?? 0,
    pixFmt: v.pix_fmt ?? 'unknown',
    rotation: rotationOf(v),
    rFrameRate: v.r_frame_rate ?? '0/0',
    avgFrameRate: v.avg_frame_rate ?? '0/0',
    frameRate,
    grid,
    startTime: seconds(grid.startPts),
    endTime: seconds(grid.endPts),
    frameCount: timeline.frames.length,
    timing: timeline.method,
    keyframeCount: timeline.keyframes.length,
    variableFrameRate,
  };
}

export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  return (await probeMediaTimeline(file, signal)).info;
}

/** What probeMedia reads, with the video timeline it was built from (kept for the split that follows). */
export async function probeMediaTimeline(file: string, signal?: AbortSignal): Promise<{ info: MediaInfo; timeline?: ReadTimeline }> {
  const json = await probeStreams(file, signal);
  const streams = json.streams ?? [];
  const v = mainVideoStream(streams);
  const a = streams.find((s) => s.codec_type === 'audio');
  const info: MediaInfo = {
    formatName: json.format?.format_name ?? 'unknown',
    duration: num(json.format?.duration),
    startTime: num(json.format?.start_time),
    size: num(json.format?.size),
  };
  let timeline: ReadTimeline | undefined;
  if (v) {
    timeline = await readTimeline({ file, stream: v.index, timeBase: v.time_base ?? '1/90000', formatStart: info.startTime, indexedSeek: seeksByIndex(info.formatName) }, signal);
    info.video = videoInfo(v, timeline);
  }
  if (a) {
    info.audio = {
      index: a.index,
      codec: a.codec_name ?? 'unknown',
      channels: a.channels ?? 0,
      sampleRate: num(a.sample_rate),
      startTime: num(a.start_time),
      duration: num(a.duration, info.duration),
    };
  }
  const subtitles = streams.filter((s) => s.codec_type === 'subtitle').map(subtitleInfo);
  if (subtitles.length > 0) info.subtitles = subtitles;
  return { info, timeline };
}

function subtitleInfo(s: FfprobeStream): SubtitleInfo {
  const language = s.tags?.language;
  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    ...(language && language !== 'und' ? { language } : {}),
    ...(s.tags?.title ? { title: s.tags.title } : {}),
    default: s.disposition?.default === 1,
    forced: s.disposition?.forced === 1,
  };
}
