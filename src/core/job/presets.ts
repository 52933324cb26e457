// Named renditions users can ask for by name. x264 "veryfast" keeps a 2-core
// machine useful; pass an explicit spec for slower, smaller encodes.
import type { RenditionSpec } from './rendition';

function h264(name: string, height: number, audioBitrate: string): RenditionSpec {
  return {
    name,
    container: 'mp4',
    video: { codec: 'h264', height, crf: 23, preset: 'veryfast' },
    audio: { codec: 'aac', bitrate: audioBitrate },
  };
}

export const PRESETS: Readonly<Record<string, RenditionSpec>> = {
  'mp4-1080p': h264('mp4-1080p', 1080, '160k'),
  'mp4-720p': h264('mp4-720p', 720, '128k'),
  'mp4-480p': h264('mp4-480p', 480, '96k'),
  'mp4-360p': h264('mp4-360p', 360, '64k'),
  'webm-720p': {
    name: 'webm-720p',
    container: 'webm',
    video: { codec: 'vp9', height: 720, crf: 33, preset: 'veryfast' },
    audio: { codec: 'opus', bitrate: '96k' },
  },
  'hevc-1080p': {
    name: 'hevc-1080p',
    container: 'mp4',
    video: { codec: 'h265', height: 1080, crf: 26, preset: 'veryfast' },
    audio: { codec: 'aac', bitrate: '128k' },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);
