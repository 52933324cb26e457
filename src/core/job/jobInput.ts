// Job input as users write it (our own shape or the two Alibaba sample shapes),
// and its normalized form. Pure: the workflow validates its own input with it,
// so a job started from the plain Temporal CLI gets the same checks as ours.
import { invalidJob } from '../errors';
import { parseObjectUrl, ObjectUrlError } from '../objectUrl';
import { isJobId, JOB_ID_RULE } from './jobId';
import { MAX_FPS, MAX_RENDITIONS, MAX_SEGMENT_SECONDS, MAX_SHARDS, MIN_SEGMENT_SECONDS } from './limits';
import { PRESETS, PRESET_NAMES } from './presets';
import type { AudioCodec, Container, RenditionSpec, VideoCodec } from './rendition';
import { checkStreamPackage, rungRendition, type LadderCodec, type StreamFormat, type StreamPackage } from './streamPackage';

export interface Watermark {
  /** Text drawn on every frame. */
  text?: string;
  /** Object URL of a PNG drawn on every frame. */
  image?: string;
  position?: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
}

export type RenditionRequest = string | (Partial<RenditionSpec> & { preset?: string });

/** What a caller may send. */
export interface TranscodeJobInput {
  source: string;
  output: string;
  renditions?: RenditionRequest[];
  segmentSeconds?: number;
  watermark?: Watermark;
  jobId?: string;
  /** Task queue of the ffmpeg workers; defaults to shardflow-media. */
  mediaTaskQueue?: string;
  /** Shard tasks per child workflow. */
  batchSize?: number;
  /** How long a job with failed shards waits for `retry` before it fails (default 24 h). */
  repairDeadlineSeconds?: number;
  /** Refuse sources that would make more shards than this (default and ceiling MAX_SHARDS); triggers set it lower. */
  maxShards?: number;
  /** Adaptive streaming output instead of files: "hls", "dash" or both (a list or "hls,dash"). */
  package?: StreamFormat[] | string;
  /** Streaming: rung heights (default 1080, 720, 480, 360); rungs above the source are dropped. */
  ladder?: number[];
  /** Streaming: target segment length, 2 to 6 s (default 4); shards hold whole segments. */
  streamSegmentSeconds?: number;
  /** Streaming: the rungs' video codec, h264 (the default) or h265. */
  ladderCodec?: LadderCodec;
  /** Streaming: seconds between thumbnails, 1 to 60 (default 2); 0 makes none. */
  thumbnailSeconds?: number;
}

/** The fc2 invoke sample: `{bucket_name, object_key, output_dir}`. */
interface AlibabaFcInput {
  bucket_name: string;
  object_key: string;
  output_dir: string;
  dst_type?: string;
}

/** The Serverless Workflow video-processing sample. */
interface AlibabaFlowInput {
  oss_bucket_name: string;
  video_key: string;
  output_prefix: string;
  segment_time_seconds?: number;
  dst_formats?: string[];
}

export interface TranscodeJob {
  source: string;
  output: string;
  renditions: RenditionSpec[];
  /** Target shard length; absent: chosen from the source and the media slots (evenShardFrames, or capacityShardLengths for a copy split). */
  segmentSeconds?: number;
  watermark?: Watermark;
  jobId?: string;
  mediaTaskQueue?: string;
  batchSize: number;
  repairDeadlineSeconds: number;
  maxShards: number;
  /** Streaming output; `renditions` are then the ladder's rungs (all of them, before the source's size drops some). */
  stream?: StreamPackage;
}

/** Shard length where a fixed one is needed (flow sample, check); jobs without one get lengths from their media slots. */
export const DEFAULT_SEGMENT_SECONDS = 10;
/**
 * Shard tasks per child workflow. The dev server's cost per task grows with
 * the tasks pending in one execution; 50 to 250 measured alike and fastest
 * (bench/: orchestration), larger batches slow thousands of shards.
 */
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_REPAIR_DEADLINE_SECONDS = 24 * 3600;
/** Temporal allows 2,000 pending activities per workflow; stay well below. */
export const MAX_BATCH_SIZE = 1000;
const DEFAULT_RENDITIONS = ['mp4-720p'];
const WATERMARK_POSITIONS: NonNullable<Watermark['position']>[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

const CONTAINERS: Container[] = ['mp4', 'webm', 'mkv'];
const VIDEO_CODECS: VideoCodec[] = ['h264', 'h265', 'vp9', 'av1', 'copy'];
/** Codecs whose encoder caps a constant-quality encode's rate (`-maxrate` with `-crf`). */
const CAPPED_CODECS: VideoCodec[] = ['h264', 'h265', 'av1'];
const AUDIO_CODECS: AudioCodec[] = ['aac', 'opus', 'copy', 'none'];
/** Codecs each container can carry (copy is checked against the source later). */
const CONTAINER_VIDEO: Record<Container, VideoCodec[]> = {
  mp4: ['h264', 'h265', 'vp9', 'av1', 'copy'],
  webm: ['vp9', 'av1', 'copy'],
  mkv: VIDEO_CODECS,
};
const CONTAINER_AUDIO: Record<Container, AudioCodec[]> = {
  mp4: ['aac', 'opus', 'copy', 'none'],
  webm: ['opus', 'copy', 'none'],
  mkv: AUDIO_CODECS,
};
/** Containers named by the Alibaba flow sample's dst_formats that we can produce. */
const ALIBABA_FORMATS: Record<string, RenditionRequest> = {
  mp4: { name: 'mp4', container: 'mp4', video: { codec: 'h264', crf: 23, preset: 'veryfast' }, audio: { codec: 'aac', bitrate: '128k' } },
  mkv: { name: 'mkv', container: 'mkv', video: { codec: 'h264', crf: 23, preset: 'veryfast' }, audio: { codec: 'aac', bitrate: '128k' } },
  webm: { name: 'webm', container: 'webm', video: { codec: 'vp9', crf: 33, preset: 'veryfast' }, audio: { codec: 'opus', bitrate: '96k' } },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Maps the Alibaba sample shapes onto ours; leaves our own shape alone. */
export function fromAlibabaShapes(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  if ('bucket_name' in raw && 'object_key' in raw) {
    const a = raw as unknown as AlibabaFcInput;
    return {
      source: `oss://${a.bucket_name}/${a.object_key}`,
      output: `oss://${a.bucket_name}/${String(a.output_dir ?? '').replace(/^\/+/, '')}`,
      ...alibabaOutputs(a.dst_type ? [a.dst_type] : undefined),
    };
  }
  if ('oss_bucket_name' in raw && 'video_key' in raw) {
    const a = raw as unknown as AlibabaFlowInput;
    return {
      source: `oss://${a.oss_bucket_name}/${a.video_key}`,
      output: `oss://${a.oss_bucket_name}/${String(a.output_prefix ?? '').replace(/^\/+/, '')}`,
      segmentSeconds: a.segment_time_seconds,
      ...alibabaOutputs(a.dst_formats ?? ['mp4']),
    };
  }
  return raw;
}

/** The sample's HLS format: a streaming job (one rung per ladder step), not a file rendition. */
const ALIBABA_HLS = 'm3u8';

/** Renditions for the sample's formats, or an HLS package for "m3u8"; none given: our default renditions. */
function alibabaOutputs(formats: string[] | undefined): { renditions?: RenditionRequest[]; package?: string[] } {
  if (!formats) return { renditions: DEFAULT_RENDITIONS };
  if (!Array.isArray(formats)) throw invalidJob(`dst_formats must be a list of formats, got ${JSON.stringify(formats)}`);
  const names = formats.map((f) => String(f).toLowerCase().replace(/^\./, ''));
  if (!names.includes(ALIBABA_HLS)) return { renditions: names.map(alibabaFormat) };
  if (names.length > 1) {
    throw invalidJob(`dst format "m3u8" (an HLS stream) cannot share a job with ${names.filter((n) => n !== ALIBABA_HLS).join(', ')}; submit it as a job of its own, or run the video-processing flow, which makes each format in turn`);
  }
  return { package: ['hls'] };
}

/** The dst formats a job accepts in the Alibaba sample shapes. */
export function alibabaDstFormats(): string[] {
  return [...Object.keys(ALIBABA_FORMATS), ALIBABA_HLS];
}

function alibabaFormat(format: string): RenditionRequest {
  const spec = ALIBABA_FORMATS[String(format).toLowerCase()];
  if (!spec) {
    throw invalidJob(`dst format ${JSON.stringify(format)} is not supported; use one of ${alibabaDstFormats().join(', ')}`);
  }
  return spec;
}

function checkUrl(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidJob(`"${field}" must be an object URL string`);
  try {
    parseObjectUrl(value);
  } catch (err) {
    if (err instanceof ObjectUrlError) throw invalidJob(`"${field}": ${err.message}`);
    throw err;
  }
  return value;
}

function checkRendition(req: RenditionRequest, index: number): RenditionSpec {
  const where = `renditions[${index}]`;
  if (typeof req === 'string') {
    const preset = PRESETS[req];
    if (!preset) throw invalidJob(`${where}: unknown preset ${JSON.stringify(req)}; known presets: ${PRESET_NAMES.join(', ')}`);
    return preset;
  }
  if (!isObject(req)) throw invalidJob(`${where} must be a preset name or a rendition object`);
  let base: Partial<RenditionSpec> = {};
  if (req.preset !== undefined) {
    const preset = PRESETS[req.preset];
    if (!preset) throw invalidJob(`${where}: unknown preset ${JSON.stringify(req.preset)}; known presets: ${PRESET_NAMES.join(', ')}`);
    base = preset;
  }
  const spec: RenditionSpec = {
    name: req.name ?? base.name ?? '',
    container: req.container ?? base.container ?? 'mp4',
    video: { ...(base.video ?? { codec: 'h264' }), ...(req.video ?? {}) },
    audio: { ...(base.audio ?? { codec: 'aac', bitrate: '128k' }), ...(req.audio ?? {}) },
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(spec.name)) {
    throw invalidJob(`${where}: "name" must be 1-64 letters, digits, dots, dashes or underscores`);
  }
  if (!CONTAINERS.includes(spec.container)) throw invalidJob(`${where}: container must be one of ${CONTAINERS.join(', ')}`);
  if (!VIDEO_CODECS.includes(spec.video.codec)) throw invalidJob(`${where}: video.codec must be one of ${VIDEO_CODECS.join(', ')}`);
  if (!AUDIO_CODECS.includes(spec.audio.codec)) throw invalidJob(`${where}: audio.codec must be one of ${AUDIO_CODECS.join(', ')}`);
  if (!CONTAINER_VIDEO[spec.container].includes(spec.video.codec)) {
    throw invalidJob(`${where}: ${spec.container} cannot carry ${spec.video.codec} video`);
  }
  if (!CONTAINER_AUDIO[spec.container].includes(spec.audio.codec)) {
    throw invalidJob(`${where}: ${spec.container} cannot carry ${spec.audio.codec} audio`);
  }
  const v = spec.video;
  if (v.height !== undefined && !(Number.isInteger(v.height) && v.height >= 16 && v.height <= 8640)) {
    throw invalidJob(`${where}: video.height must be a whole number from 16 to 8640`);
  }
  if (v.crf !== undefined && !(typeof v.crf === 'number' && v.crf >= 0 && v.crf <= 63)) {
    throw invalidJob(`${where}: video.crf must be a number from 0 to 63`);
  }
  if (v.fps !== undefined && !(typeof v.fps === 'number' && v.fps > 0 && v.fps <= MAX_FPS)) {
    throw invalidJob(`${where}: video.fps must be a number above 0 and at most ${MAX_FPS}`);
  }
  const channels = spec.audio.channels;
  if (channels !== undefined && !(Number.isInteger(channels) && channels >= 1 && channels <= 8)) {
    throw invalidJob(`${where}: audio.channels must be a whole number from 1 to 8`);
  }
  if (v.maxBitrate !== undefined && !CAPPED_CODECS.includes(v.codec)) throw invalidJob(`${where}: video.maxBitrate caps ${CAPPED_CODECS.join(', ')} encodes only`);
  for (const [field, value] of [['video.bitrate', v.bitrate], ['video.maxBitrate', v.maxBitrate], ['audio.bitrate', spec.audio.bitrate]] as const) {
    if (value !== undefined && !/^\d+(\.\d+)?[kKmM]?$/.test(value)) throw invalidJob(`${where}: ${field} must look like "128k" or "2.5M"`);
  }
  if (v.preset !== undefined && !/^[a-z0-9]+$/.test(v.preset)) throw invalidJob(`${where}: video.preset must be a plain encoder preset name`);
  return spec;
}

/** Validates and fills defaults. Throws a non-retryable InvalidJob failure naming the field. */
export function normalizeJob(raw: unknown): TranscodeJob {
  const input = fromAlibabaShapes(raw);
  if (!isObject(input)) throw invalidJob('the job must be a JSON object with "source" and "output"');
  const job = input as Partial<TranscodeJobInput>;
  const source = checkUrl('source', job.source);
  const output = checkUrl('output', job.output);
  const segmentSeconds = job.segmentSeconds;
  if (segmentSeconds !== undefined && (typeof segmentSeconds !== 'number' || !Number.isFinite(segmentSeconds) || segmentSeconds < MIN_SEGMENT_SECONDS || segmentSeconds > MAX_SEGMENT_SECONDS)) {
    throw invalidJob(`"segmentSeconds" must be a number from ${MIN_SEGMENT_SECONDS} to ${MAX_SEGMENT_SECONDS}, got ${JSON.stringify(job.segmentSeconds)}`);
  }
  const stream = checkStreamPackage(job as Record<string, unknown>);
  if (stream && job.renditions !== undefined) throw invalidJob('"renditions" and "package" exclude each other: a streaming job\'s rungs come from "ladder"');
  const requests = stream ? stream.ladder.map((h) => rungRendition(h, stream.codec)) : (job.renditions ?? DEFAULT_RENDITIONS);
  if (!Array.isArray(requests) || requests.length === 0) throw invalidJob('"renditions" must be a non-empty list');
  if (requests.length > MAX_RENDITIONS) throw invalidJob(`"renditions" lists ${requests.length}; a job makes at most ${MAX_RENDITIONS}`);
  const renditions = requests.map(checkRendition);
  const names = new Set<string>();
  for (const r of renditions) {
    if (names.has(r.name)) throw invalidJob(`two renditions are named ${JSON.stringify(r.name)}; names must be unique`);
    names.add(r.name);
  }
  if (job.jobId !== undefined && !isJobId(job.jobId)) {
    throw invalidJob(`"jobId" must be ${JOB_ID_RULE}`);
  }
  const batchSize = job.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw invalidJob(`"batchSize" must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
  }
  const repairDeadlineSeconds = job.repairDeadlineSeconds ?? DEFAULT_REPAIR_DEADLINE_SECONDS;
  if (typeof repairDeadlineSeconds !== 'number' || !(repairDeadlineSeconds >= 0) || repairDeadlineSeconds > 90 * 24 * 3600) {
    throw invalidJob('"repairDeadlineSeconds" must be a number from 0 to 7776000 (90 days)');
  }
  const maxShards = job.maxShards ?? MAX_SHARDS;
  if (!Number.isInteger(maxShards) || maxShards < 1 || maxShards > MAX_SHARDS) {
    throw invalidJob(`"maxShards" must be a whole number from 1 to ${MAX_SHARDS}`);
  }
  const watermark = job.watermark;
  if (watermark !== undefined) {
    if (!isObject(watermark) || (watermark.text === undefined && watermark.image === undefined)) {
      throw invalidJob('"watermark" needs "text" or "image"');
    }
    if (watermark.text !== undefined && (typeof watermark.text !== 'string' || watermark.text.length > 200)) {
      throw invalidJob('"watermark.text" must be a string of at most 200 characters');
    }
    if (watermark.image !== undefined) checkUrl('watermark.image', watermark.image);
    // Unchecked, an unknown position silently lands bottom-right.
    if (watermark.position !== undefined && !(WATERMARK_POSITIONS as unknown[]).includes(watermark.position)) {
      throw invalidJob(`"watermark.position" must be one of ${WATERMARK_POSITIONS.join(', ')}`);
    }
  }
  return {
    source,
    output,
    renditions,
    segmentSeconds,
    watermark,
    jobId: job.jobId,
    mediaTaskQueue: job.mediaTaskQueue,
    batchSize,
    repairDeadlineSeconds,
    maxShards,
    ...(stream ? { stream } : {}),
  };
}
