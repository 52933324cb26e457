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
  /**
   * The last decoded frame has no duration (MPEG-TS, some MP4s). A plain encode still shows it for a frame;
   * ffmpeg's fps filter would end the video at its start, one slot early.
   */
  lastFrameUntimed: boolean;
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

interface DecodedFrames {
  frames: number;
  rate?: number;
  /** The last frame carries no duration. */
  lastUntimed: boolean;
}

/** Decoded frames per second of their span (first frame to the end of the last), as a player shows them. */
async function decodedFrames(file: string, stream: number, signal?: AbortSignal): Promise<DecodedFrames> {
  const json = JSON.parse(
    await runFfprobe(['-select_streams', String(stream), '-show_entries', 'frame=best_effort_timestamp_time,pkt_duration_time', '-print_format', 'json', ...sourceInput(file)], signal),
  ) as FrameList;
  const frames = (json.frames ?? []).filter((f) => Number.isFinite(Number(f.best_effort_timestamp_time)));
  const times = frames.map((f) => Number(f.best_effort_timestamp_time)).sort((a, b) => a - b);
  const last = times[times.length - 1];
  const lastDuration = Number(frames.find((f) => Number(f.best_effort_timestamp_time) === last)?.pkt_duration_time);
  const lastUntimed = !(Number.isFinite(lastDuration) && lastDuration > 0);
  if (times.length < 2) return { frames: times.length, lastUntimed };
  const first = times[0];
  // Without a duration for the last frame, the span ends at its start and counts one frame less.
  const rate = lastUntimed ? (times.length - 1) / (last - first) : times.length / (last + lastDuration - first);
  return { frames: times.length, rate, lastUntimed };
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
    let decoded: DecodedFrames = { frames: 0, lastUntimed: false };
    try {
      decoded = await decodedFrames(file, v.index, signal);
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
      lastFrameUntimed: decoded.lastUntimed,
      realRate: decoded.rate !== undefined && decoded.rate > 0 && Number.isFinite(decoded.rate) ? decoded.rate : undefined,
    };
  }
  if (a) facts.audio = { index: a.index, channels: a.channels ?? 0 };
  return facts;
}
