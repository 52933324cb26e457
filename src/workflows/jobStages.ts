// The stages of one transcodeVideo run, in order. Each takes the run's shared
// context and what earlier stages produced, and returns what later ones need.
import { patched } from '@temporalio/workflow';
import type { MediaInfo, RenditionReport, SplitInput, SplitResult } from '../core/contracts';
import { gridFrameCount } from '../core/media/frameGrid';
import type { VideoInfo } from '../core/media/mediaInfo';
import { parseRational, type Rational } from '../core/media/rational';
import { streamOffsets } from '../core/media/streamOffsets';
import { checkAgainstSource } from '../core/job/compatibility';
import { SEAM_PARTS_PATCH, seamParts } from '../core/job/seamParts';
import { renditionFrameRate } from '../core/job/frameRate';
import type { RenditionSpec } from '../core/job/rendition';
import type { ThumbnailPlan } from '../core/job/thumbnails';
import { buildManifest } from '../core/manifest';
import { joinObjectUrl } from '../core/objectUrl';
import { mediaOptions } from './activityOptions';
import { stage, type JobRun } from './jobRun';
import { transcodeWithRepair } from './repairLoop';
import { allShardTasks, type ShardRun } from './shardTasks';

export interface TranscodeResult {
  jobId: string;
  output: string;
  manifestUrl: string;
  shards: number;
  renditions: (RenditionReport & { url: string })[];
  /** Streaming output: URLs of the HLS master playlist and the DASH MPD it published. */
  stream?: { hls?: string; dash?: string };
}

export async function probe(run: JobRun): Promise<MediaInfo> {
  const source = await stage(run, 'probing', 'probe', () => run.media.probeSource({ source: run.job.source }));
  checkAgainstSource(run.job, source);
  return source;
}

/** Where the shards are cut; no shards for a source without video. `stream` cuts a streaming job's shards on its segments. */
export async function split(run: JobRun, source: MediaInfo, stream?: Pick<SplitInput, 'shardFrames' | 'streamSegmentFrames'>): Promise<SplitResult> {
  const video = source.video;
  if (!video) {
    return stage(run, 'splitting', 'split', async () => ({ mode: 'range' as const, count: 0 }));
  }
  const { jobId, workUrl, job } = run;
  return stage(run, 'splitting', 'split', () =>
    run.media.splitSource({
      jobId,
      workUrl,
      source: job.source,
      videoStream: video.index,
      grid: video.grid,
      fps: video.frameRate,
      segmentSeconds: job.segmentSeconds,
      formatStart: source.startTime,
      formatName: source.formatName,
      ...stream,
    }),
  );
}

export function shardCountOf(split: SplitResult): number {
  return split.count;
}

/** The rendition's output rate as a fraction. */
export function renditionRate(r: RenditionSpec, video: VideoInfo): Rational {
  return parseRational(renditionFrameRate(r, video.frameRate)) ?? { num: 25, den: 1 };
}

/** Streaming output: shards write segments of `segmentFrames`, and one audio group is encoded and cut every `segmentSeconds`. */
export interface StreamShape {
  segmentFrames: number;
  segmentSeconds: number;
  audio: RenditionSpec;
  /** The video's timeline the audio is placed on: source seconds of frame 0 and the grid's length. */
  grid: { start: number; seconds: number };
  /** The tiles and the poster that the shard tasks of one rung write. */
  thumbnails?: ThumbnailPlan;
}

/** Encodes every shard × rendition and every audio track (repairing failed ones on request); returns frames per rendition. */
export async function transcode(run: JobRun, source: MediaInfo, cuts: SplitResult, stream?: StreamShape): Promise<Record<string, number>> {
  const { job, workUrl } = run;
  const video = source.video;
  const audio = source.audio;
  const shardCount = shardCountOf(cuts);
  const encoded = video ? job.renditions.filter((r) => r.video.codec !== 'copy') : [];
  for (const r of encoded) run.progress.renditions[r.name] = { total: shardCount, done: 0, failed: 0 };
  const frames: Record<string, number> = {};
  await stage(run, 'transcoding', 'transcode', async () => {
    const shards: ShardRun | undefined =
      video && encoded.length > 0
        ? {
            jobId: run.jobId,
            mediaTaskQueue: run.mediaQueue,
            common: {
              workUrl,
              source: job.source,
              mode: cuts.mode,
              videoStream: video.index,
              grid: video.grid,
              fps: video.frameRate,
              geometry: { width: video.width, height: video.height, rotation: video.rotation },
              watermark: job.watermark,
              planUrl: cuts.planUrl,
              segmentFrames: stream?.segmentFrames,
              ...(stream?.thumbnails ? { thumbnails: stream.thumbnails } : {}),
            },
            renditions: encoded,
            shardCount,
            batchSize: job.batchSize,
            label: 'shards',
          }
        : undefined;
    const audioTracks = audio ? (stream ? [stream.audio] : job.renditions.filter(encodesAudio)) : [];
    await transcodeWithRepair(
      run,
      {
        shards,
        tasks: shards ? allShardTasks(shardCount, encoded) : [],
        audio: audioTracks.map((r) => ({
          workUrl,
          source: job.source,
          audioStream: audio!.index,
          sourceChannels: audio!.channels,
          rendition: r,
          segmentSeconds: stream?.segmentSeconds,
          grid: stream?.grid,
        })),
      },
      frames,
    );
  });
  return frames;
}

/** Concatenates each rendition's shards and muxes its audio; returns the merged files' URLs, in rendition order. */
export function merge(run: JobRun, source: MediaInfo, cuts: SplitResult): Promise<string[]> {
  const video = source.video;
  return stage(run, 'merging', 'merge', () =>
    Promise.all(
      run.job.renditions.map((r) =>
        run.media.mergeRendition.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: `merge · ${r.name}` }, [
          {
            workUrl: run.workUrl,
            source: run.job.source,
            rendition: r,
            shardCount: shardCountOf(cuts),
            plan: video && r.video.codec !== 'copy' && cuts.planUrl ? { url: cuts.planUrl, sourceFps: video.frameRate } : undefined,
            videoStream: video?.index,
            hasAudio: hasAudio(source, r),
            ...mergeOffsets(source, r),
          },
        ]),
      ),
    ),
  );
}

/**
 * Checks each merged output against the source, including the frames at every seam of its shards. With many seams,
 * verifyRendition compares the first part and verifySeams tasks the others, side by side on any media workers.
 */
export function verify(run: JobRun, source: MediaInfo, cuts: SplitResult, merged: string[], frames: Record<string, number>): Promise<RenditionReport[]> {
  const video = source.video;
  const parts = video && patched(SEAM_PARTS_PATCH) ? seamParts(shardCountOf(cuts), video.endTime - video.startTime, video.keyframeCount) : [];
  return stage(run, 'verifying', 'verify', () =>
    Promise.all(
      run.job.renditions.map(async (r, i) => {
        const encoded = video && r.video.codec !== 'copy' ? video : undefined;
        const expectedFrames = encoded ? gridFrameCount(encoded.grid, renditionRate(r, encoded)) : undefined;
        const fps = video ? renditionFrameRate(r, video.frameRate) : undefined;
        const seams = encoded ? { source: run.job.source, gridStart: encoded.startTime, planUrl: cuts.planUrl, watermarked: run.job.watermark !== undefined } : undefined;
        const [first, ...others] = seams && parts.length > 1 ? parts : [];
        const [report] = await Promise.all([
          run.media.verifyRendition.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: `verify · ${r.name}` }, [
            {
              rendition: r,
              url: merged[i],
              source,
              shardFrames: frames[r.name],
              expectedFrames,
              fps,
              expectAudio: hasAudio(source, r),
              seams: seams && first ? { ...seams, range: first } : seams,
            },
          ]),
          Promise.all(
            others.map((range) =>
              run.media.verifySeams.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: `verify seams ${range.first + 1}–${range.first + range.count} · ${r.name}` }, [
                { rendition: r, url: merged[i], source, expectedFrames: expectedFrames!, fps: fps!, seams: { ...seams!, range } },
              ]),
            ),
          ),
        ]);
        return report;
      }),
    ),
  );
}

/** The job's manifest.json: what was made from what, and how (`stream` for streaming output). */
export function jobManifest(run: JobRun, source: MediaInfo, cuts: SplitResult, reports: RenditionReport[], stream?: Record<string, unknown>): Record<string, unknown> {
  return buildManifest({
    jobId: run.jobId,
    source: run.job.source,
    createdAt: new Date(Date.now()).toISOString(),
    segmentSeconds: run.job.segmentSeconds,
    splitMode: cuts.mode,
    shards: shardCountOf(cuts),
    sourceInfo: source,
    renditions: reports,
    timingsMs: run.timingsMs,
    ...(stream ? { stream } : {}),
  });
}

/** Copies the verified outputs to the output prefix, manifest last. */
export async function publish(
  run: JobRun,
  source: MediaInfo,
  cuts: SplitResult,
  merged: string[],
  reports: RenditionReport[],
): Promise<TranscodeResult> {
  const { job, jobId } = run;
  const manifest = jobManifest(run, source, cuts, reports);
  const published = await stage(run, 'publishing', 'publish', () =>
    run.storage.publishOutputs({
      output: job.output,
      files: job.renditions.map((r, i) => ({ rendition: r.name, url: merged[i] })),
      manifest,
      names: Object.fromEntries(reports.map((r) => [r.name, r.file])),
    }),
  );
  return {
    jobId,
    output: job.output,
    manifestUrl: published.manifestUrl,
    shards: shardCountOf(cuts),
    renditions: reports.map((r) => ({ ...r, url: joinObjectUrl(job.output, r.file) })),
  };
}

function mergeOffsets(source: MediaInfo, r: RenditionSpec): { videoOffset: number; audioOffset: number } {
  const offsets = streamOffsets(source, hasAudio(source, r));
  return { videoOffset: offsets.video, audioOffset: offsets.audio };
}

function hasAudio(source: MediaInfo, r: RenditionSpec): boolean {
  return source.audio !== undefined && r.audio.codec !== 'none';
}

function encodesAudio(r: RenditionSpec): boolean {
  return r.audio.codec !== 'none' && r.audio.codec !== 'copy';
}
