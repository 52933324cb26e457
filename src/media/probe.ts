// Reads what a source holds: ffprobe's JSON for streams and format, and a
// packet scan of the video stream for keyframes and exact timing.
import { ProcessError } from './runProcess';
import { runFfprobe, streamFfprobe } from './ffmpeg';
import { refusedFormat, refusedFormatReason, sourceInput } from './sourceInput';
import type { AudioInfo, MediaInfo, VideoInfo } from '../core/media/mediaInfo';
import { chooseFrameRate, formatRational, parseRational } from '../core/media/rational';

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  start_time?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string };
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; start_time?: string; size?: string };
  streams?: FfprobeStream[];
}

export type { AudioInfo, MediaInfo, VideoInfo };

export interface VideoTiming {
  keyframes: number[];
  frameCount: number;
  startTime: number;
  endTime: number;
  minFrameDuration: number;
  maxFrameDuration: number;
}

/** Raised when ffprobe cannot read the input at all; carries ffprobe's own words. */
export class UnreadableMediaError extends Error {}

/**
 * The reason in ffmpeg's or ffprobe's stderr, fit for one line of an error message. The cause usually comes a
 * line before the verdict ("moov atom not found" then "Invalid data found when processing input"), so the
 * last two distinct lines are kept, without the demuxer tag ("[mov,mp4,... @ 0x55...]") or the local path,
 * which the caller names as an object URL instead.
 */
export function toolReason(stderr: string, file: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, '').trim())
    .map((l) => (l.startsWith(`${file}: `) ? l.slice(file.length + 2) : l))
    .filter((l) => l !== '');
  const distinct = lines.filter((l, i) => lines.lastIndexOf(l) === i);
  return distinct.slice(-2).join('; ') || 'no error output';
}

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

/** Scans every packet of one video stream; reads the container index, decodes nothing. */
export async function scanVideoTiming(file: string, streamIndex: number, signal?: AbortSignal): Promise<VideoTiming> {
  const keyframes: number[] = [];
  let frameCount = 0;
  let startTime = Infinity;
  let endTime = -Infinity;
  let minDur = Infinity;
  let maxDur = 0;
  await streamFfprobe(
    ['-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,duration_time,flags', '-of', 'csv=p=0', ...sourceInput(file)],
    (line) => {
      const [ptsText, durText, flags] = line.split(',');
      const pts = Number(ptsText);
      if (!Number.isFinite(pts)) return;
      const dur = Number(durText);
      frameCount++;
      if (flags?.includes('K')) keyframes.push(pts);
      if (pts < startTime) startTime = pts;
      if (Number.isFinite(dur) && dur > 0) {
        minDur = Math.min(minDur, dur);
        maxDur = Math.max(maxDur, dur);
        endTime = Math.max(endTime, pts + dur);
      } else endTime = Math.max(endTime, pts);
    },
    signal,
  );
  keyframes.sort((a, b) => a - b);
  if (frameCount === 0) return { keyframes, frameCount, startTime: 0, endTime: 0, minFrameDuration: 0, maxFrameDuration: 0 };
  return { keyframes, frameCount, startTime, endTime, minFrameDuration: minDur === Infinity ? 0 : minDur, maxFrameDuration: maxDur };
}

export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  const json = await probeStreams(file, signal);
  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  const info: MediaInfo = {
    formatName: json.format?.format_name ?? 'unknown',
    duration: num(json.format?.duration),
    startTime: num(json.format?.start_time),
    size: num(json.format?.size),
  };
  if (v) {
    const timing = await scanVideoTiming(file, v.index, signal);
    const span = timing.endTime - timing.startTime;
    const measured = timing.frameCount > 1 && span > 0 ? { num: Math.round((timing.frameCount / span) * 1000), den: 1000 } : undefined;
    const rate = chooseFrameRate(parseRational(v.avg_frame_rate) ?? measured, parseRational(v.r_frame_rate));
    info.video = {
      index: v.index,
      codec: v.codec_name ?? 'unknown',
      width: v.width ?? 0,
      height: v.height ?? 0,
      pixFmt: v.pix_fmt ?? 'unknown',
      rotation: rotationOf(v),
      rFrameRate: v.r_frame_rate ?? '0/0',
      avgFrameRate: v.avg_frame_rate ?? '0/0',
      frameRate: formatRational(rate),
      startTime: timing.startTime,
      endTime: timing.endTime,
      frameCount: timing.frameCount,
      keyframeCount: timing.keyframes.length,
      variableFrameRate: timing.maxFrameDuration > timing.minFrameDuration * 1.05,
    };
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
  return info;
}
