// What the check needs to know about a source, read with ffprobe here rather
// than taken from the job: the stream a job encodes (the default video track,
// else the first that is not a cover picture), the turn ffmpeg applies,
// and how fast the decoded frames really come (frame timestamps after
// decoding, so edit lists, discarded packets and missing pts are ffmpeg's own
// business, not a container's claim).
import { runFfprobe } from '../media/ffmpeg';
import { mainVideoStream, probeStreams, UnreadableMediaError } from '../media/probe';
import { sourceInput } from '../media/sourceInput';

export interface CheckedVideo {
  index: number;
  width: number;
  height: number;
  /** Clockwise degrees ffmpeg turns the frames to show them upright. */
  rotation: number;
  /** Frames the decoder put out. */
  decodedFrames: number;
  /** Decoded frames per second over their span; undefined with fewer than two. */
  realRate?: number;
}

export interface CheckedAudio {
  index: number;
  channels: number;
}

export interface CheckedSource {
  file: string;
  /** Why ffprobe could not read it, if it could not. */
  unreadable?: string;
  video?: CheckedVideo;
  audio?: CheckedAudio;
}

interface FrameList {
  frames?: { best_effort_timestamp_time?: string; pkt_duration_time?: string }[];
}

/** Decoded frames per second of their span (first frame to the end of the last), as a player shows them. */
async function decodedRate(file: string, stream: number, signal?: AbortSignal): Promise<{ frames: number; rate?: number }> {
  const json = JSON.parse(
    await runFfprobe(['-select_streams', String(stream), '-show_entries', 'frame=best_effort_timestamp_time,pkt_duration_time', '-print_format', 'json', ...sourceInput(file)], signal),
  ) as FrameList;
  const frames = (json.frames ?? []).filter((f) => Number.isFinite(Number(f.best_effort_timestamp_time)));
  const times = frames.map((f) => Number(f.best_effort_timestamp_time)).sort((a, b) => a - b);
  if (times.length < 2) return { frames: times.length };
  const first = times[0];
  const last = times[times.length - 1];
  const lastDuration = Number(frames.find((f) => Number(f.best_effort_timestamp_time) === last)?.pkt_duration_time);
  // Without a duration for the last frame, the span ends at its start and counts one frame less.
  return Number.isFinite(lastDuration) && lastDuration > 0
    ? { frames: times.length, rate: times.length / (last + lastDuration - first) }
    : { frames: times.length, rate: (times.length - 1) / (last - first) };
}

export async function checkedSource(file: string, signal?: AbortSignal): Promise<CheckedSource> {
  let json;
  try {
    json = await probeStreams(file, signal);
  } catch (err) {
    if (err instanceof UnreadableMediaError) return { file, unreadable: err.message };
    throw err;
  }
  const streams = json.streams ?? [];
  const v = mainVideoStream(streams);
  const a = streams.find((s) => s.codec_type === 'audio');
  const facts: CheckedSource = { file };
  if (v) {
    let decoded: { frames: number; rate?: number } = { frames: 0 };
    try {
      decoded = await decodedRate(file, v.index, signal);
    } catch {
      // A stream that does not decode counts no frames; the reference encode says why.
    }
    // The display matrix turns counter-clockwise; ffmpeg turns the other way to make frames upright.
    const matrix = v.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? 0;
    facts.video = {
      index: v.index,
      width: v.width ?? 0,
      height: v.height ?? 0,
      rotation: (((-matrix % 360) + 360) % 360),
      decodedFrames: decoded.frames,
      realRate: decoded.rate !== undefined && decoded.rate > 0 && Number.isFinite(decoded.rate) ? decoded.rate : undefined,
    };
  }
  if (a) facts.audio = { index: a.index, channels: a.channels ?? 0 };
  return facts;
}
