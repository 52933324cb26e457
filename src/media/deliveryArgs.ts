// ffmpeg arguments for the video samples' delivery formats that are not one
// of our rendition containers: the verified, merged MP4 (H.264 + AAC) is
// carried over into FLV or QuickTime by stream copy (both carry that pair as
// is), and into AVI with the video copied and the audio as MP3 (AVI has no
// timestamps for AAC's priming and players expect MP3 there). An audio-only
// extract encodes one audio stream of the source into a file of its own.
import { sourceInput } from './sourceInput';

/** dst formats served by carrying the merged MP4 over into another container. */
export const DELIVERY_FORMATS = ['flv', 'mov', 'avi'] as const;
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number];

export function isDeliveryFormat(format: string): format is DeliveryFormat {
  return (DELIVERY_FORMATS as readonly string[]).includes(format);
}

const DELIVERY: Record<DeliveryFormat, { muxer: string; audio: string[]; extra: string[] }> = {
  flv: { muxer: 'flv', audio: ['-c:a', 'copy'], extra: [] },
  mov: { muxer: 'mov', audio: ['-c:a', 'copy'], extra: ['-movflags', '+faststart'] },
  avi: { muxer: 'avi', audio: ['-c:a', 'libmp3lame', '-b:a', '192k'], extra: [] },
};

export function deliveryArgs(input: string, output: string, format: DeliveryFormat): string[] {
  const d = DELIVERY[format];
  return ['-i', input, '-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'copy', ...d.audio, '-map_metadata', '-1', ...d.extra, '-f', d.muxer, output];
}

/**
 * Audio formats `extract-audio` writes, by file extension: the encoder and the muxer. No raw ADTS `.aac`:
 * it has no index, so its length is only estimated (ffprobe read 3.8 s of a 4 s track) and cannot be verified.
 */
const AUDIO_FORMATS = {
  mp3: { codec: ['-c:a', 'libmp3lame', '-q:a', '2'], muxer: 'mp3' },
  m4a: { codec: ['-c:a', 'aac', '-b:a', '192k'], muxer: 'ipod' },
} as const;
export type AudioFormat = keyof typeof AUDIO_FORMATS;

export function isAudioFormat(format: string): format is AudioFormat {
  return Object.hasOwn(AUDIO_FORMATS, format);
}

export function audioFormats(): string[] {
  return Object.keys(AUDIO_FORMATS);
}

export interface ExtractAudioArgs {
  input: string;
  /** Absolute stream index of the source's audio stream. */
  audioStream: number;
  format: AudioFormat;
  output: string;
}

export function extractAudioArgs(a: ExtractAudioArgs): string[] {
  const f = AUDIO_FORMATS[a.format];
  // The source is the user's: read as every source is (demuxer and protocol whitelists, range-server options).
  return [...sourceInput(a.input), '-map', `0:${a.audioStream}`, '-vn', '-sn', '-dn', ...f.codec, '-map_metadata', '-1', '-f', f.muxer, a.output];
}
