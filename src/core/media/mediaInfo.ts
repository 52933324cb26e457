// What probing a source found: the facts the workflow plans a job from.
import type { FrameGrid } from './frameGrid';

export interface VideoInfo {
  index: number;
  codec: string;
  width: number;
  height: number;
  pixFmt: string;
  /** Clockwise degrees (0, 90, 180, 270) the frames must turn to display upright. */
  rotation: number;
  /** Container flags, as ffprobe reports them. */
  rFrameRate: string;
  avgFrameRate: string;
  /** The constant rate shards are encoded at, as "num/den": measured from the frame timestamps, snapped to a standard rate. */
  frameRate: string;
  /** The job's output grid: where the first decoded frame starts and the last one ends. */
  grid: FrameGrid;
  /** Seconds: the first decoded frame's time. */
  startTime: number;
  /** Seconds: where the last frame ends (pts + duration). */
  endTime: number;
  /** Frames a decoder shows (hidden and undecodable pictures left out). */
  frameCount: number;
  /** How the frames were established: from the packets (checked against decoding at head and tail) or by decoding all. */
  timing: 'packets' | 'decoded';
  keyframeCount: number;
  /** Frame durations vary by more than 5%. */
  variableFrameRate: boolean;
}

export interface AudioInfo {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
  startTime: number;
  duration: number;
}

/** A subtitle stream of the source, as ffprobe reports it. */
export interface SubtitleInfo {
  index: number;
  /** ffprobe's codec name: subrip, ass, mov_text, webvtt, hdmv_pgs_subtitle, dvd_subtitle, ... */
  codec: string;
  /** The container's language tag (ISO 639-2, e.g. "eng"), when it has one other than "und". */
  language?: string;
  title?: string;
  default: boolean;
  forced: boolean;
}

export interface MediaInfo {
  formatName: string;
  duration: number;
  startTime: number;
  size: number;
  video?: VideoInfo;
  audio?: AudioInfo;
  /** Subtitle streams in source order; absent when there are none (and in results probed before they were read). */
  subtitles?: SubtitleInfo[];
}

/** What every shard needs to know about the source picture. */
export interface ShardGeometry {
  /** Source frame size before rotation. */
  width: number;
  height: number;
  /** Clockwise degrees to turn frames upright. */
  rotation: number;
}
