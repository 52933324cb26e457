// What one output of a job looks like. Plain data: it travels in workflow input.

export type Container = 'mp4' | 'webm' | 'mkv';
export type VideoCodec = 'h264' | 'h265' | 'vp9' | 'av1' | 'copy';
export type AudioCodec = 'aac' | 'opus' | 'copy' | 'none';

export interface VideoSpec {
  codec: VideoCodec;
  /** Short side in pixels (720 for "720p"; a portrait source gets this width). Never upscaled. Omit to keep the source size. */
  height?: number;
  /** Constant quality; ignored when bitrate is set. */
  crf?: number;
  /** Target bitrate such as "2500k". */
  bitrate?: string;
  /** H.264/H.265 constant quality capped at this rate (e.g. "3500k"; -maxrate with a buffer of twice it): streaming rungs keep their place in the ladder. */
  maxBitrate?: string;
  /** Encoder speed preset (x264/x265 names; mapped for VP9 and AV1). */
  preset?: string;
  /** Output frame rate; defaults to the source's average rate. */
  fps?: number;
}

export interface AudioSpec {
  codec: AudioCodec;
  /** Such as "128k". */
  bitrate?: string;
  /** Channels to encode (1 to 8). Omitted: the source's, at most 2, so 5.1 is downmixed and mono stays mono. */
  channels?: number;
}

export interface RenditionSpec {
  /** Names the output file: `<output>/<name>.<container>`. */
  name: string;
  container: Container;
  video: VideoSpec;
  audio: AudioSpec;
}
