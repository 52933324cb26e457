// What probing a source found: the facts the workflow plans a job from.

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
  /** The constant rate shards are encoded at, as "num/den". */
  frameRate: string;
  startTime: number;
  /** End of the last frame (pts + duration). */
  endTime: number;
  frameCount: number;
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

export interface MediaInfo {
  formatName: string;
  duration: number;
  startTime: number;
  size: number;
  video?: VideoInfo;
  audio?: AudioInfo;
}

/** What every shard needs to know about the source picture. */
export interface ShardGeometry {
  /** Source frame size before rotation. */
  width: number;
  height: number;
  /** Clockwise degrees to turn frames upright. */
  rotation: number;
}
