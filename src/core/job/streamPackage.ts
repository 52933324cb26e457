// Adaptive streaming output (HLS + DASH from one set of CMAF segments): the
// job option, its ladder of rungs and the segment grid. Pure: the workflow
// validates and plans with it.
import { invalidJob } from '../errors';
import type { Rational } from '../media/rational';
import type { RenditionSpec } from './rendition';
import { checkThumbnailSeconds } from './thumbnails';

export type StreamFormat = 'hls' | 'dash';
export const STREAM_FORMATS: StreamFormat[] = ['hls', 'dash'];

/** Rung heights (short side) offered when the job names none; rungs above the source are dropped. */
export const DEFAULT_LADDER = [1080, 720, 480, 360];
export const DEFAULT_STREAM_SEGMENT_SECONDS = 4;
export const MIN_STREAM_SEGMENT_SECONDS = 2;
export const MAX_STREAM_SEGMENT_SECONDS = 6;

export interface StreamPackage {
  formats: StreamFormat[];
  /** Rung heights, highest first, before the source's own height is known. */
  ladder: number[];
  /** Target segment length; the real one is a whole number of frames at the source rate (segmentFrames). */
  segmentSeconds: number;
  /** The rungs' video codec; absent means H.264 (jobs started before HEVC rungs existed). */
  codec?: LadderCodec;
  /** Seconds between thumbnails (poster, sprite sheets, storyboard); 0 or absent (jobs started before it): none. */
  thumbnailSeconds?: number;
}

/**
 * H.264 plays everywhere; HEVC rungs take about 30 % fewer bits where players decode it (Safari, most TVs); AV1
 * rungs about 40 % fewer where browsers decode it (Chrome, Firefox, recent Safari with hardware support).
 */
export type LadderCodec = 'h264' | 'h265' | 'av1';
export const LADDER_CODECS: LadderCodec[] = ['h264', 'h265', 'av1'];

/** The audio group's bit rate. */
const AUDIO_BITRATE = '128k';

/** Validates the job's `package`, `ladder` and `streamSegmentSeconds`; undefined for a plain (file) job. */
export function checkStreamPackage(raw: { package?: unknown; ladder?: unknown; streamSegmentSeconds?: unknown; ladderCodec?: unknown; thumbnailSeconds?: unknown }): StreamPackage | undefined {
  if (raw.package === undefined) {
    if (raw.ladder !== undefined || raw.streamSegmentSeconds !== undefined || raw.ladderCodec !== undefined || raw.thumbnailSeconds !== undefined) {
      throw invalidJob('"ladder", "ladderCodec", "streamSegmentSeconds" and "thumbnailSeconds" need "package" (hls, dash)');
    }
    return undefined;
  }
  const codec = raw.ladderCodec ?? 'h264';
  if (!(LADDER_CODECS as unknown[]).includes(codec)) throw invalidJob(`"ladderCodec" must be one of ${LADDER_CODECS.join(', ')}, got ${JSON.stringify(raw.ladderCodec)}`);
  const list = typeof raw.package === 'string' ? raw.package.split(',').map((s) => s.trim()) : raw.package;
  if (!Array.isArray(list) || list.length === 0 || list.some((f) => !(STREAM_FORMATS as unknown[]).includes(f))) {
    throw invalidJob(`"package" must list one or more of ${STREAM_FORMATS.join(', ')}, got ${JSON.stringify(raw.package)}`);
  }
  const formats = STREAM_FORMATS.filter((f) => list.includes(f));
  const ladder = raw.ladder ?? DEFAULT_LADDER;
  if (!Array.isArray(ladder) || ladder.length === 0 || ladder.length > 8 || ladder.some((h) => !(Number.isInteger(h) && (h as number) >= 64 && (h as number) <= 4320 && (h as number) % 2 === 0))) {
    throw invalidJob(`"ladder" must list 1 to 8 even heights from 64 to 4320, got ${JSON.stringify(raw.ladder)}`);
  }
  const heights = [...new Set(ladder as number[])].sort((a, b) => b - a);
  const seconds = raw.streamSegmentSeconds ?? DEFAULT_STREAM_SEGMENT_SECONDS;
  if (typeof seconds !== 'number' || !(seconds >= MIN_STREAM_SEGMENT_SECONDS && seconds <= MAX_STREAM_SEGMENT_SECONDS)) {
    throw invalidJob(
      `"streamSegmentSeconds" must be a number from ${MIN_STREAM_SEGMENT_SECONDS} to ${MAX_STREAM_SEGMENT_SECONDS}, got ${JSON.stringify(raw.streamSegmentSeconds)}`,
    );
  }
  return {
    formats,
    ladder: heights,
    segmentSeconds: seconds,
    thumbnailSeconds: checkThumbnailSeconds(raw.thumbnailSeconds),
    ...(codec === 'h264' ? {} : { codec: codec as LadderCodec }),
  };
}

/** Frames per segment at the source rate: every rung runs at that rate, so a segment boundary is the same slot in every rung. */
export function segmentFrames(segmentSeconds: number, fps: Rational): number {
  return Math.max(1, Math.round((segmentSeconds * fps.num) / fps.den));
}

/**
 * Shard length for a streaming job that asks for one: a whole number of segments, at least one, near the asked
 * length, so every shard holds whole segments. Without one the split picks it (streamSegmentsPerShard).
 */
export function streamShardSegments(shardSeconds: number, segmentSeconds: number): number {
  return Math.max(1, Math.round(shardSeconds / segmentSeconds));
}

/** The rungs a source of short side `sourceShortSide` gets: those not above it, or the source's own size when all are. */
export function ladderFor(pkg: StreamPackage, sourceShortSide: number): number[] {
  const kept = pkg.ladder.filter((h) => h <= sourceShortSide);
  return kept.length > 0 ? kept : [sourceShortSide - (sourceShortSide % 2)];
}

/** A rung's name: its folder in the output. */
export function rungName(height: number): string {
  return `${height}p`;
}

/**
 * The cap on a rung's bit rate: 3500 kbit/s at 720 lines, scaled by picture area (about 7900 at 1080, 1560 at 480,
 * 880 at 360), never under 200. Constant quality below it, so simple pictures cost less.
 */
export function rungMaxKbps(height: number): number {
  return Math.max(200, Math.round((3500 * (height / 720) ** 2) / 10) * 10);
}

/**
 * Per codec: its cap as a share of H.264's (about the bits it needs for the same picture) and the CRF that gives
 * about x264's CRF 23 in quality (the scales differ: x265's runs like x264's, SVT-AV1's goes to 63).
 */
const RUNG_CODEC: Record<LadderCodec, { rateShare: number; crf: number }> = {
  h264: { rateShare: 1, crf: 23 },
  h265: { rateShare: 0.7, crf: 28 },
  av1: { rateShare: 0.6, crf: 35 },
};

/** The rendition of one rung (capped constant quality); its audio lives in the shared audio group. */
export function rungRendition(height: number, codec: LadderCodec = 'h264'): RenditionSpec {
  const { rateShare, crf } = RUNG_CODEC[codec];
  const kbps = Math.round((rungMaxKbps(height) * rateShare) / 10) * 10;
  return {
    name: rungName(height),
    container: 'mp4',
    video: { codec, height, crf, preset: 'veryfast', maxBitrate: `${kbps}k` },
    audio: { codec: 'none' },
  };
}

/** The audio group, encoded once for every rung. */
export const STREAM_AUDIO: RenditionSpec = { name: 'audio', container: 'mp4', video: { codec: 'copy' }, audio: { codec: 'aac', bitrate: AUDIO_BITRATE } };
