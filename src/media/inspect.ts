// Reads back what an encode produced: stream layout, exact frame counts
// (packets counted, nothing decoded) and durations.
import { runFfprobe } from './ffmpeg';
import { readBackInput } from './sourceInput';

export interface OutputStream {
  type: 'video' | 'audio' | 'other';
  codec: string;
  width?: number;
  height?: number;
  /** Packets counted by ffprobe: frames for video. */
  packets: number;
  startTime: number;
  duration: number;
  rotation: number;
  frameRate?: string;
  /** Audio channels. */
  channels?: number;
}

export interface OutputInfo {
  formatName: string;
  /** Seconds: the container's start, where ffmpeg begins this input's timeline. */
  startTime: number;
  duration: number;
  size: number;
  streams: OutputStream[];
}

interface Json {
  format?: { format_name?: string; start_time?: string; duration?: string; size?: string };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    nb_read_packets?: string;
    start_time?: string;
    duration?: string;
    avg_frame_rate?: string;
    channels?: number;
    tags?: { DURATION?: string };
    side_data_list?: { rotation?: number }[];
  }[];
}

/** Matroska keeps stream durations in a tag such as "00:00:02.700000000". */
function tagSeconds(text: string | undefined): number {
  const m = /^(\d+):(\d+):([\d.]+)$/.exec(text ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

/** `countPackets: false` skips reading the whole file: packet counts are then 0. */
export async function inspectOutput(file: string, signal?: AbortSignal, { countPackets = true } = {}): Promise<OutputInfo> {
  const out = await runFfprobe([...(countPackets ? ['-count_packets'] : []), '-print_format', 'json', '-show_format', '-show_streams', ...readBackInput(file)], signal);
  const json = JSON.parse(out) as Json;
  const formatDuration = Number(json.format?.duration ?? NaN);
  return {
    formatName: json.format?.format_name ?? 'unknown',
    startTime: Number(json.format?.start_time ?? 0),
    duration: formatDuration,
    size: Number(json.format?.size ?? 0),
    streams: (json.streams ?? []).map((s) => {
      const own = Number(s.duration ?? NaN);
      // Matroska's DURATION tag marks where the stream ends, counted from zero.
      const tagged = tagSeconds(s.tags?.DURATION) - Number(s.start_time ?? 0);
      return {
        type: s.codec_type === 'video' || s.codec_type === 'audio' ? s.codec_type : 'other',
        codec: s.codec_name ?? 'unknown',
        width: s.width,
        height: s.height,
        packets: Number(s.nb_read_packets ?? 0),
        startTime: Number(s.start_time ?? 0),
        duration: Number.isFinite(own) ? own : Number.isFinite(tagged) ? tagged : formatDuration,
        rotation: s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? 0,
        frameRate: s.avg_frame_rate,
        channels: s.channels,
      };
    }),
  };
}

export function videoStreamOf(info: OutputInfo): OutputStream | undefined {
  return info.streams.find((s) => s.type === 'video');
}

export function audioStreamOf(info: OutputInfo): OutputStream | undefined {
  return info.streams.find((s) => s.type === 'audio');
}
