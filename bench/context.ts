// What every scenario gets: the mode, folders, the Temporal client, the clip
// they share, in-process workers started once, and results one scenario
// leaves for another (the single-pass encode is needed by two of them).
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { RenditionSpec } from '../src/core/job/rendition';
import { startInProcess, type ActivitySpan, type BenchWorkers, type JobRun } from './harness';
import { ffmpeg, makeClip, timed, type ClipSpec, type Timed } from './media';

export interface BenchContext {
  quick: boolean;
  /** Plain/pipeline pairs in the pipeline scenario (--repeat). */
  repeat: number;
  /** Scaling runs on workers started elsewhere, on the queues named in the environment (--external-workers). */
  externalWorkers: boolean;
  repo: string;
  /** Scratch of this run, removed at the end unless --keep. */
  tmp: string;
  /** Generated clips, kept between runs (bench/results/tmp is git-ignored). */
  clips: string;
  client: Client;
  temporalAddress: string;
  /** Results one scenario leaves for another. */
  shared: Map<string, unknown>;
  log(message: string): void;
  /** In-process workers with 2 media slots, started on first use and shared by the pipeline and quality scenarios. */
  pipelineWorkers(): Promise<BenchWorkers>;
}

/** The rendition every comparison uses: no height, so the source size is kept. */
export const RENDITION: RenditionSpec = {
  name: 'h264-1080p',
  container: 'mp4',
  video: { codec: 'h264', crf: 23, preset: 'veryfast' },
  audio: { codec: 'aac', bitrate: '128k' },
};

/** Media slots of the in-process workers: "2 local workers". */
export const MEDIA_SLOTS = 2;

export function mainClipSpec(quick: boolean): ClipSpec {
  return quick
    ? { seconds: 20, width: 640, height: 360, fps: 30, gop: 60, crf: 18 }
    : { seconds: 60, width: 1920, height: 1080, fps: 30, gop: 60, crf: 18 };
}

export function mainClip(ctx: BenchContext): Promise<string> {
  return makeClip(ctx.clips, mainClipSpec(ctx.quick));
}

/** The pipeline's GOP (two seconds of frames); plain ffmpeg gets the same so sizes compare. */
export function gopOf(spec: ClipSpec): number {
  return Math.max(1, Math.round(2 * spec.fps));
}

/** What a user would run by hand for the same output: one ffmpeg, default threads. */
export function singlePassArgs(source: string, output: string, gop: number): string[] {
  return [
    '-i', source, '-map', '0:v:0', '-map', '0:a:0',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', String(gop),
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', output,
  ];
}

export interface SinglePass {
  file: string;
  run: Timed<unknown>;
}

/** The single-pass encode, made once per run. */
export async function singlePass(ctx: BenchContext): Promise<SinglePass> {
  const cached = ctx.shared.get('single-pass') as SinglePass | undefined;
  if (cached) return cached;
  const source = await mainClip(ctx);
  const file = path.join(ctx.tmp, 'single-pass.mp4');
  ctx.log('single-pass ffmpeg encode');
  const run = await timed(() => ffmpeg(singlePassArgs(source, file, gopOf(mainClipSpec(ctx.quick)))));
  const result = { file, run };
  ctx.shared.set('single-pass', result);
  return result;
}

export interface PipelineOutput {
  file: string;
  run: JobRun;
  /** Inner cut times of the shards, source seconds. */
  cuts: number[];
  splitMode: string;
}

/** One shardflow job over the main clip at the given segment length, through the shared in-process workers. */
export async function pipelineOutput(ctx: BenchContext, segmentSeconds: number): Promise<PipelineOutput> {
  const key = `pipeline-seg${segmentSeconds}`;
  const cached = ctx.shared.get(key) as PipelineOutput | undefined;
  if (cached) return cached;
  const source = await mainClip(ctx);
  const workers = await ctx.pipelineWorkers();
  const outDir = path.join(ctx.tmp, `out-seg${segmentSeconds}-${randomUUID().slice(0, 6)}`);
  ctx.log(`shardflow job, segmentSeconds ${segmentSeconds}`);
  const run = await workers.run({ source: `file://${source}`, output: `file://${outDir}/`, renditions: [RENDITION], segmentSeconds });
  const split = run.history.spans.find((s: ActivitySpan) => s.name === 'splitSource')?.result as
    | { mode: string; shards: { start: { num: number; den: number } }[] }
    | undefined;
  const result: PipelineOutput = {
    file: path.join(outDir, `${RENDITION.name}.${RENDITION.container}`),
    run,
    // Shard starts are grid times, seconds from the video's start (0 in the bench's clips).
    cuts: split ? split.shards.slice(1).map((x) => x.start.num / x.start.den) : [],
    splitMode: split?.mode ?? 'unknown',
  };
  ctx.shared.set(key, result);
  return result;
}

export async function createPipelineWorkers(ctx: Omit<BenchContext, 'pipelineWorkers'>): Promise<BenchWorkers> {
  return startInProcess({
    client: ctx.client,
    temporalAddress: ctx.temporalAddress,
    dataDir: path.join(ctx.tmp, 'data'),
    mediaConcurrency: MEDIA_SLOTS,
  });
}
