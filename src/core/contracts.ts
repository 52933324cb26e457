// The activity contracts: names, inputs and outputs of every activity. Workflows
// import them without pulling Node code into the workflow bundle.
import type { MapRunActivities } from './flow/distributedMap';
import type { HttpRequestInput, HttpResponse, InvokeFunctionInput } from './flow/functionContract';
import type { Watermark } from './job/jobInput';
import type { RenditionSpec } from './job/rendition';
import type { StreamFormat } from './job/streamPackage';
import type { ThumbnailPlan } from './job/thumbnails';
import type { SeamRange } from './job/seamParts';
import type { MediaInfo, VideoInfo } from './media/mediaInfo';
import type { ShardGeometry } from './media/mediaInfo';
import type { FrameGrid } from './media/frameGrid';
import type { ShardSpec, SplitMode } from './media/shardPlan';
import type { SubtitleTrackSpec } from './media/subtitleTracks';

export interface PrepareInput {
  jobId: string;
  source: string;
  output: string;
}

export interface ProbeInput {
  source: string;
}

export interface SplitInput {
  jobId: string;
  workUrl: string;
  source: string;
  videoStream: number;
  /** The job's frame grid, as the probe found it. */
  grid: FrameGrid;
  /** The source's frame rate ("num/den"). */
  fps: string;
  /** Target shard length; absent: chosen from the source's length and the media slots. */
  segmentSeconds?: number;
  /** The container's start time in seconds: ffmpeg's -ss counts from it. */
  formatStart: number;
  /** ffprobe's format name ("mov,mp4,m4a,3gp,3g2,mj2"): containers with a keyframe index need no copy split. */
  formatName?: string;
  /** Streaming output: shards of exactly this many slots at the source rate (whole segments), range mode. */
  shardFrames?: number;
  /**
   * Streaming output without a shard length from the job: segments of this many slots, as many to a shard as
   * keep the media slots busy to the end (streamSegmentsPerShard); range mode.
   */
  streamSegmentFrames?: number;
}

/**
 * The split's plan stays in the work area (planUrl); history carries only its size. A job of 20,000 shards is
 * megabytes of specs, past Temporal's 2 MB payload limit and its 4 MB history messages.
 */
export interface SplitResult {
  mode: SplitMode;
  count: number;
  /** The plan object: { mode, shards: ShardSpec[] } (see activities/shardPlanStore); absent without video. */
  planUrl?: string;
}

/** What every shard task of a job shares. */
export interface ShardCommon {
  workUrl: string;
  source: string;
  mode: SplitMode;
  videoStream: number;
  grid: FrameGrid;
  /** The source's frame rate ("num/den"); renditions without their own fps are encoded at it. */
  fps: string;
  geometry: ShardGeometry;
  watermark?: Watermark;
  /** The split's plan object, where a task without its own `shard` finds its spec. */
  planUrl?: string;
  /** Streaming output: each shard writes CMAF segments of this many frames (every shard starts on a segment boundary). */
  segmentFrames?: number;
  /** Streaming output: the shard tasks of `thumbnails.rung` also write the tiles and the poster in their slots. */
  thumbnails?: ThumbnailPlan;
}

export interface EncodeShardInput {
  common: ShardCommon;
  index: number;
  count: number;
  /** The shard's spec; absent: read from the plan at `common.planUrl`. */
  shard?: ShardSpec;
  rendition: RenditionSpec;
  /**
   * Streaming output: every rung this task encodes, from one decode of the shard (`rendition` is the first of
   * them). Each rung gets `frames` frames.
   */
  rungs?: RenditionSpec[];
}

export interface EncodeShardResult {
  frames: number;
  /** Bytes of a remote source read by range for this shard; absent for local sources and reused shards. */
  bytesRead?: number;
  /** True when a previous attempt had already stored this shard. */
  reused: boolean;
}

export interface EncodeAudioInput {
  workUrl: string;
  source: string;
  audioStream: number;
  /** Channels the source's audio stream has: outputs keep at most these unless the rendition asks for more. */
  sourceChannels: number;
  rendition: RenditionSpec;
  /** Streaming output: the encoded audio is also cut into CMAF segments of this length (the video's segment length). */
  segmentSeconds?: number;
  /** Streaming output: the video's timeline (source seconds of frame 0, and its length), which the audio is placed on. */
  grid?: { start: number; seconds: number };
}

export interface MergeInput {
  workUrl: string;
  source: string;
  rendition: RenditionSpec;
  shardCount: number;
  /** Shards (0-based) that hold no frame at this rendition's rate: nothing was encoded for them. */
  emptyShards?: number[];
  /** Or the plan they are found in, with the source's frame rate that the rendition's rate follows. */
  plan?: { url: string; sourceFps: string };
  videoStream?: number;
  hasAudio: boolean;
  /** Seconds the video starts after the earlier of the kept streams, as in the source (see streamOffsets). */
  videoOffset: number;
  /** Seconds the audio starts after the earlier of the kept streams, as in the source. */
  audioOffset?: number;
}

export interface OutputFile {
  rendition: string;
  url: string;
}

/** Where a rendition's shards meet, so verify can look at the frames around every cut. */
export interface SeamFacts {
  /** The source object the shards were cut from. */
  source: string;
  /** Source seconds of output frame 0: the job's frame grid starts here. */
  gridStart: number;
  /** Source times of the inner cuts (not the start, not the end); absent: from the plan at `planUrl`. */
  cuts?: number[];
  planUrl?: string;
  /** Frames carry a watermark the source lacks. */
  watermarked: boolean;
  /** The seams this task compares (0-based into the inner cuts); absent: every seam. */
  range?: SeamRange;
}

export interface VerifyInput {
  rendition: RenditionSpec;
  url: string;
  source: MediaInfo;
  /** Sum of the frames the shard encodes reported; undefined for copied or absent video. */
  shardFrames?: number;
  /** Frames a single pass with the same filters gives (the grid's count at the rendition's rate); undefined for copied or absent video. */
  expectedFrames?: number;
  fps?: string;
  expectAudio: boolean;
  /** Encoded video: the cuts whose seams are compared with the source. */
  seams?: SeamFacts;
}

/** What a part of the seam check needs: the merged file, the source, and which seams. */
export interface VerifySeamsInput {
  rendition: RenditionSpec;
  url: string;
  source: MediaInfo;
  /** The output's frames (a single pass over the source's grid; verifyRendition checks the file has them). */
  expectedFrames: number;
  fps: string;
  seams: SeamFacts & { range: SeamRange };
}

export interface VerifySeamsResult {
  /** Bytes of the merged file fetched from a remote work area by range; undefined when it was read in place. */
  bytesRead?: number;
}

export interface RenditionReport {
  name: string;
  file: string;
  size: number;
  duration: number;
  videoCodec?: string;
  audioCodec?: string;
  width?: number;
  height?: number;
  frames: number;
  fps?: string;
}

export interface PublishInput {
  output: string;
  files: OutputFile[];
  /**
   * Streaming output: every object under `url` goes to the output prefix under its relative name, the `last`
   * ones (playlists) after all the others and in that order, so no playlist names a segment not yet there.
   */
  folder?: { url: string; last: string[] };
  manifest: Record<string, unknown>;
  /** File names in the output prefix, per rendition. */
  names: Record<string, string>;
}

export interface PublishResult {
  manifestUrl: string;
  urls: string[];
}

/** One rung of a streaming ladder: its folder name and its rendition (the picture size follows from the source's geometry). */
export interface StreamRungSpec {
  name: string;
  rendition: RenditionSpec;
}

export interface PackageStreamInput {
  workUrl: string;
  formats: StreamFormat[];
  /** The rungs' frame rate ("num/den"): the source's. */
  fps: string;
  segmentFrames: number;
  /** Frames of every rung: the grid's count at `fps`. */
  totalFrames: number;
  rungs: StreamRungSpec[];
  /** The source's picture: each rung's size follows from it. */
  geometry: ShardGeometry;
  /** Folder of the audio group, when the job has audio. */
  audio?: string;
  /** WebVTT renditions of the source's text subtitles, already in the work area. */
  subtitles?: SubtitleRendition[];
  /** The job's thumbnails, when it makes them: package assembles the sheets and the storyboard, verify checks them. */
  thumbnails?: ThumbnailPlan;
}

/** Streaming output: the source's text subtitle tracks, each to one WebVTT file on the video's timeline. */
export interface ExtractSubtitlesInput {
  workUrl: string;
  source: string;
  tracks: SubtitleTrackSpec[];
  /** Source seconds of the first video frame on the job grid (package time 0), and the video's length. */
  grid: { start: number; seconds: number };
}

/** One subtitle track of a streaming package: its WebVTT file and what placing it on the video's timeline did. */
export interface SubtitleRendition extends SubtitleTrackSpec {
  /** The WebVTT file under the package folder ("sub-0/subtitles.vtt"). */
  file: string;
  /** Cues in the file. */
  cues: number;
  /** Source cues left out for ending before the first video frame, or starting at or after the video's end. */
  cutBefore: number;
  cutAfter: number;
  /** Cues kept but shortened to the video. */
  clamped: number;
  bytes: number;
}

/** What a rung or the audio group measured from its segments. */
export interface StreamTrackReport {
  name: string;
  codecs: string;
  /** Peak segment bit rate, bits per second. */
  bandwidth: number;
  /** Mean bit rate over the whole track. */
  averageBandwidth: number;
  segments: number;
  /** Seconds the track's segments cover. */
  duration: number;
  size: number;
  width?: number;
  height?: number;
  /** Decimal frame rate as HLS writes it (e.g. "29.970"). */
  frameRate?: string;
  channels?: number;
}

export interface PackageStreamResult {
  rungs: StreamTrackReport[];
  audio?: StreamTrackReport;
  /** Playlist files under the package folder, in the order they are published: media playlists, then the master playlist and the MPD. */
  playlists: string[];
  thumbnails?: ThumbnailReport;
}

/** The thumbnails of a streaming package, as manifest.json lists them (names relative to the package). */
export interface ThumbnailReport {
  poster: string;
  posterWidth: number;
  posterHeight: number;
  /** Seconds into the video of the poster's frame. */
  posterSeconds: number;
  /** The WebVTT storyboard: one cue per tile. */
  storyboard: string;
  sheets: string[];
  tiles: number;
  tileWidth: number;
  tileHeight: number;
  /** Tiles per full sheet, across and down (a sheet with fewer tiles is only as wide and as tall as they need). */
  columns: number;
  rows: number;
  /** Seconds from one tile to the next: a whole number of frames. */
  intervalSeconds: number;
}

/** What verify reads back: the package's shape, and what the source says it must hold. */
export interface VerifyStreamInput extends PackageStreamInput {
  /** Seconds the video lasts. */
  sourceSeconds: number;
  /** Seconds the audio track should last: to the video's end, or to where the source's audio ends if that is earlier. */
  audioSeconds?: number;
  /** The source's video, for comparing the frames on both sides of every shard cut with it. */
  sourceVideo: VideoInfo;
  seams: SeamFacts;
}

export interface CleanInput {
  workUrl: string;
}

export type { MediaInfo };

/**
 * Every activity a worker registers, by the name that shows in workflow history. Workflows proxy this
 * interface; the worker's implementations are checked against it.
 */
export interface Activities extends MapRunActivities {
  prepareWorkArea(input: PrepareInput): Promise<string>;
  probeSource(input: ProbeInput): Promise<MediaInfo>;
  splitSource(input: SplitInput): Promise<SplitResult>;
  encodeShard(input: EncodeShardInput): Promise<EncodeShardResult>;
  encodeAudio(input: EncodeAudioInput): Promise<string>;
  mergeRendition(input: MergeInput): Promise<string>;
  verifyRendition(input: VerifyInput): Promise<RenditionReport>;
  /** A part of a rendition's seams, for a job with too many for one task: fails like verifyRendition does. */
  verifySeams(input: VerifySeamsInput): Promise<VerifySeamsResult>;
  /** Streaming output: measures every rung's segments and writes the HLS and DASH playlists into the work area. */
  packageStream(input: PackageStreamInput): Promise<PackageStreamResult>;
  /** Streaming output: converts the source's text subtitle tracks to WebVTT on the video's timeline (one ffmpeg each). */
  extractSubtitles(input: ExtractSubtitlesInput): Promise<SubtitleRendition[]>;
  /** Streaming output: reads every rung back through its playlist with ffprobe before anything is published. */
  verifyStream(input: VerifyStreamInput): Promise<void>;
  publishOutputs(input: PublishInput): Promise<PublishResult>;
  cleanWorkArea(input: CleanInput): Promise<number>;
  /** A flow Task state calling a function. */
  invokeFunction(input: InvokeFunctionInput): Promise<unknown>;
  /** A flow `Action: HTTP:Request` state. */
  httpRequest(input: HttpRequestInput): Promise<HttpResponse>;
}

/** Activities that run ffmpeg and belong on the media task queue. */
export const MEDIA_ACTIVITIES = ['probeSource', 'splitSource', 'encodeShard', 'encodeAudio', 'mergeRendition', 'verifyRendition', 'verifySeams', 'packageStream', 'verifyStream', 'extractSubtitles'] as const;
