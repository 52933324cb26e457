// Independent checks of media files for tests: ffprobe called directly, frames
// counted by decoding (-count_frames), not by our own inspect module.
import { execFileSync } from 'node:child_process';

export interface StreamFacts {
  type: string;
  codec: string;
  width?: number;
  height?: number;
  frames?: number;
  startTime: number;
  duration: number;
  rotation: number;
}

export function probeFile(file: string): { duration: number; format: string; streams: StreamFacts[] } {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-print_format', 'json', '-show_format', '-show_streams', file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const json = JSON.parse(out);
  return {
    duration: Number(json.format.duration),
    format: json.format.format_name,
    streams: json.streams.map((s: Record<string, any>) => {
      const tag = /^(\d+):(\d+):([\d.]+)$/.exec(s.tags?.DURATION ?? '');
      const start = Number(s.start_time ?? 0);
      const duration = s.duration !== undefined ? Number(s.duration) : tag ? Number(tag[1]) * 3600 + Number(tag[2]) * 60 + Number(tag[3]) - start : NaN;
      return {
        type: s.codec_type,
        codec: s.codec_name,
        width: s.width,
        height: s.height,
        frames: s.nb_read_frames !== undefined ? Number(s.nb_read_frames) : undefined,
        startTime: start,
        duration,
        rotation: s.side_data_list?.find((d: { rotation?: number }) => typeof d.rotation === 'number')?.rotation ?? 0,
      };
    }),
  };
}

export function videoOf(file: string): StreamFacts {
  const v = probeFile(file).streams.find((s) => s.type === 'video');
  if (!v) throw new Error(`${file} has no video stream`);
  return v;
}

export function audioOf(file: string): StreamFacts | undefined {
  return probeFile(file).streams.find((s) => s.type === 'audio');
}
