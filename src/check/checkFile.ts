// Checks one file: the real pipeline's output against a plain single-pass
// encode with the same settings, both scored frame by frame against the
// source's own frames on the output grid. The file passes when the pipeline
// gives the reference's frame count and its worst frame is no worse than the
// reference's worst frame minus 3 dB, upright at the reference's size, at a
// sane frame rate, with the reference's audio. A file plain ffmpeg cannot
// decode passes when the pipeline refuses it fast, for good, publishing nothing.
import type { Client } from '@temporalio/client';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config';
import type { RenditionRequest } from '../core/job/jobInput';
import type { JobPhase } from '../core/job/progress';
import type { RenditionSpec } from '../core/job/rendition';
import { referenceEncodeArgs } from '../media/compareArgs';
import { runFfmpeg } from '../media/ffmpeg';
import { outputSize } from '../media/ffmpegArgs';
import { compareFrames, type FrameComparison, type FrameScore } from '../media/frameCompare';
import { frameRateProblem } from '../media/frameRateCheck';
import { inspectOutput, videoStreamOf, type OutputInfo } from '../media/inspect';
import { toolReason } from '../media/toolFailure';
import { formatRational } from '../core/media/rational';
import { snapFrameRate } from '../core/media/sourceFrameRate';
import { ProcessError } from '../media/runProcess';
import { frameSpans, misplacement } from '../media/seamCheck';
import { runPipeline, type PipelineFailure } from './pipelineRun';
import { checkedSource, type CheckedSource } from './sourceFacts';

export type CheckOutcome = 'ok' | 'mismatch' | 'failed-as-expected' | 'failed';

/** The pipeline's worst frame may be this much worse than the single-pass encode's worst frame. */
export const PSNR_SLACK_DB = 3;
/** A file plain ffmpeg cannot decode must be refused within this time. */
export const FAIL_FAST_SECONDS = 10;
/** Audio durations of output and reference may differ by this much (two AAC frames at 44.1 kHz, rounded up). */
export const AUDIO_SLACK_SECONDS = 0.05;
/** Pictures are compared at most at this short side. */
export const CHECK_COMPARE_SHORT_SIDE = 360;

export interface AudioSummary {
  codec: string;
  channels: number;
  seconds: number;
}

export interface PsnrSummary {
  /** Lowest per-frame PSNR (dB) against the source's frame at the same grid time. */
  min: number;
  /** Output frame index of that lowest frame. */
  worst: number;
  /** Frames compared. */
  frames: number;
  /** Frames that show a neighbouring source frame rather than their own. */
  misplaced: number[];
  /** The five lowest frames. */
  lowest: FrameScore[];
}

export interface FileCheck {
  file: string;
  outcome: CheckOutcome;
  /** Why the outcome is not ok; empty when it is. */
  reasons: string[];
  /** Findings that do not decide the outcome but help find a cause. */
  notes: string[];
  /** Plain single-pass ffmpeg decodes and encodes it. */
  decodable: boolean;
  jobId?: string;
  splitMode?: string;
  shards?: number;
  fps: { out?: string; ref?: string; source?: number };
  frames: { out?: number; ref?: number };
  size: { out?: string; ref?: string };
  psnr: { out?: PsnrSummary; ref?: PsnrSummary };
  audio: { out: AudioSummary[]; ref: AudioSummary[] };
  seconds: { pipeline?: number; reference?: number; compare?: number; total: number };
  failure?: PipelineFailure;
  published: string[];
}

export interface CheckSettings {
  client: Client;
  /** Points at the task queues of the worker that runs the check's jobs. */
  config: Config;
  request: RenditionRequest;
  rendition: RenditionSpec;
  segmentSeconds: number;
  /** Scratch folder for outputs and references. */
  workDir: string;
  timeoutSeconds: number;
  threads: number;
  progress: (line: string) => void;
  /** Fires when the user interrupts the check: the job is terminated, ffmpeg stopped. */
  signal?: AbortSignal;
}

function audioOf(info: OutputInfo | undefined): AudioSummary[] {
  return (info?.streams ?? [])
    .filter((s) => s.type === 'audio')
    .map((s) => ({ codec: s.codec, channels: s.channels ?? 0, seconds: s.duration }));
}

function summarize(c: FrameComparison): PsnrSummary {
  return {
    min: c.min,
    worst: c.worst,
    frames: c.frames.length,
    misplaced: c.frames.filter((f) => misplacement(f) !== undefined).map((f) => f.index),
    lowest: [...c.frames].sort((a, b) => a.psnr - b.psnr).slice(0, 5),
  };
}

/** Channels the rendition's audio should have: what it asks for, else at most the source's, at most stereo. */
function expectedChannels(rendition: RenditionSpec, source: number): number | undefined {
  if (rendition.audio.codec === 'copy' || rendition.audio.codec === 'none') return undefined;
  // A spec may name its channels; the presets do not, and keep at most stereo.
  const asked = (rendition.audio as { channels?: number }).channels;
  return asked ?? Math.min(source, 2);
}

/** The reference's rate when the pipeline names none (it failed): the rate asked for, else the decoded frames' own. */
function fallbackRate(rendition: RenditionSpec, source: CheckedSource): string {
  if (rendition.video.fps !== undefined) return String(rendition.video.fps);
  const real = source.video?.realRate;
  return formatRational(real ? snapFrameRate(real) : { num: 25, den: 1 });
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await work();
  return [value, (Date.now() - started) / 1000];
}

export async function checkFile(s: CheckSettings, file: string, dir: string): Promise<FileCheck> {
  const started = Date.now();
  const check: FileCheck = {
    file,
    outcome: 'ok',
    reasons: [],
    notes: [],
    decodable: false,
    fps: {},
    frames: {},
    size: {},
    psnr: {},
    audio: { out: [], ref: [] },
    seconds: { total: 0 },
    published: [],
  };
  const say = (what: string): void => s.progress(what);
  await fs.mkdir(dir, { recursive: true });

  say('reading the source');
  const source = await checkedSource(file, s.signal);
  check.fps.source = source.video?.realRate;

  say('running the pipeline');
  const outDir = path.join(dir, 'out');
  const run = await runPipeline(s.client, s.config, {
    source: file,
    outDir,
    rendition: s.request,
    segmentSeconds: s.segmentSeconds,
    jobId: `check-${path.basename(dir)}-${Date.now().toString(36)}`,
    timeoutSeconds: s.timeoutSeconds,
    onPhase: (phase: JobPhase) => say(`pipeline: ${phase}`),
    signal: s.signal,
  });
  check.jobId = run.jobId;
  check.seconds.pipeline = run.seconds;
  check.published = run.published;
  check.failure = run.failure;
  check.splitMode = run.splitMode;
  check.shards = run.result?.shards;
  const reported = run.result?.renditions[0];
  if (s.signal?.aborted) return check;

  // The reference: same rate as the pipeline's output (its sanity is judged on its own), size, codec settings.
  say('encoding the single-pass reference');
  const fps = reported?.fps ?? fallbackRate(s.rendition, source);
  const refFile = path.join(dir, `reference.${s.rendition.container}`);
  const { ref, error: refError, seconds: refSeconds } = await encodeReference(s, source, fps, refFile);
  check.seconds.reference = refSeconds;
  check.decodable = refError === undefined;
  const out = run.file ? await inspectOutput(run.file) : undefined;
  check.audio = { out: audioOf(out), ref: audioOf(ref) };
  const rv = ref && videoStreamOf(ref);
  const ov = out && videoStreamOf(out);
  if (rv || ov) {
    check.frames = { out: ov?.packets, ref: rv?.packets };
    check.size = { out: ov ? `${ov.width}x${ov.height}` : undefined, ref: rv ? `${rv.width}x${rv.height}` : undefined };
    check.fps = { ...check.fps, out: ov?.frameRate, ref: rv?.frameRate };
  }

  if (!check.decodable) {
    judgeUndecodable(check, refError!);
  } else if (run.failure) {
    check.outcome = 'failed';
    const how = run.failure.awaitedRepair ? ' (shards used up their retries; the job waited for a repair)' : run.failure.timedOut ? ' (cancelled after the time limit)' : '';
    check.reasons.push(`the pipeline failed${run.failure.type ? ` [${run.failure.type}]` : ''}${how}: ${run.failure.message}`);
  } else {
    say('comparing frames with the source');
    await compareWithReference(s, check, source, fps, out!, ref!, run.file!, refFile);
  }
  check.seconds.total = (Date.now() - started) / 1000;
  return check;
}

interface Reference {
  ref?: OutputInfo;
  /** Why plain ffmpeg cannot decode the source, if it cannot. */
  error?: string;
  seconds?: number;
}

/** Encodes the single-pass reference; when that fails, plain ffmpeg cannot decode the source. */
async function encodeReference(s: CheckSettings, source: CheckedSource, fps: string, refFile: string): Promise<Reference> {
  if (source.unreadable) return { error: `ffprobe cannot read it: ${source.unreadable}` };
  if (!source.video && !source.audio) return { error: 'it has neither a video nor an audio stream' };
  const size = source.video ? outputSize({ width: source.video.width, height: source.video.height, rotation: source.video.rotation }, s.rendition.video) : undefined;
  try {
    const [, seconds] = await timed(() =>
      runFfmpeg(
        referenceEncodeArgs({
          source: source.file,
          videoStream: source.video?.index,
          audioStream: source.audio?.index,
          fps,
          width: size?.width ?? 0,
          height: size?.height ?? 0,
          rendition: s.rendition,
          audioChannels: source.audio ? expectedChannels(s.rendition, source.audio.channels) : undefined,
          holdLastFrame: source.video?.lastFrameUntimed,
          threads: s.threads,
          output: refFile,
        }),
        { signal: s.signal },
      ),
    );
    const ref = await inspectOutput(refFile);
    if (source.video && !(videoStreamOf(ref)?.packets ?? 0)) return { error: 'plain ffmpeg decodes no video frame from it', seconds };
    return { ref, seconds };
  } catch (err) {
    return { error: err instanceof ProcessError ? `plain ffmpeg fails: ${toolReason(err.stderrTail, source.file)}` : (err as Error).message };
  }
}

/** A file plain ffmpeg cannot decode: the pipeline must refuse it at once, for good, and publish nothing. */
function judgeUndecodable(check: FileCheck, why: string): void {
  const failure = check.failure;
  const seconds = check.seconds.pipeline ?? 0;
  const reasons: string[] = [];
  if (!failure) reasons.push('the pipeline succeeded, but there is nothing to compare it with');
  else {
    if (!failure.nonRetryable) reasons.push(`its failure is retryable${failure.type ? ` (${failure.type})` : ''}: ${failure.message}`);
    if (seconds >= FAIL_FAST_SECONDS) reasons.push(`it took ${seconds.toFixed(1)} s to fail, not under ${FAIL_FAST_SECONDS} s`);
  }
  if (check.published.length > 0) reasons.push(`it published ${check.published.join(', ')}`);
  check.outcome = reasons.length === 0 ? 'failed-as-expected' : 'failed';
  check.reasons = reasons.length === 0 ? [`${why}; the pipeline refused it: ${failure!.message}`] : [`${why}`, ...reasons];
}

async function compareWithReference(
  s: CheckSettings,
  check: FileCheck,
  source: CheckedSource,
  fps: string,
  out: OutputInfo,
  ref: OutputInfo,
  outFile: string,
  refFile: string,
): Promise<void> {
  const reasons = check.reasons;
  const ov = videoStreamOf(out);
  const rv = videoStreamOf(ref);
  if (source.video && rv) {
    if (!ov) reasons.push('the output has no video');
    else {
      if (ov.packets !== rv.packets) reasons.push(`it has ${ov.packets} frames, the single-pass reference ${rv.packets}`);
      if (check.size.out !== check.size.ref) reasons.push(`its frames are ${check.size.out}, the reference's ${check.size.ref}`);
      if (ov.rotation !== 0) reasons.push(`it still carries a ${ov.rotation}° rotation flag`);
      const rate = frameRateProblem({ output: ov.frameRate, sourceRate: source.video.realRate, asked: s.rendition.video.fps });
      if (rate) reasons.push(rate);
      const [[outScores, refScores], seconds] = await timed(() =>
        compareFrames({
          source: check.file,
          videoStream: source.video!.index,
          chain: { fps, rotation: 'auto', holdLastFrame: source.video!.lastFrameUntimed },
          encoded: [outFile, refFile],
          width: rv.width ?? 0,
          height: rv.height ?? 0,
          maxShortSide: CHECK_COMPARE_SHORT_SIDE,
          neighbours: true,
          threads: s.threads,
          signal: s.signal,
        }),
      );
      check.seconds.compare = seconds;
      check.psnr = { out: summarize(outScores), ref: summarize(refScores) };
      const o = check.psnr.out!;
      const r = check.psnr.ref!;
      if (o.min < r.min - PSNR_SLACK_DB) {
        reasons.push(`its worst frame (${o.worst}) is ${o.min.toFixed(1)} dB from the source's, the reference's worst ${r.min.toFixed(1)} dB (frame ${r.worst})`);
      }
      if (o.misplaced.length > 0) check.notes.push(`frame(s) ${frameSpans(o.misplaced)} show a neighbouring source frame rather than their own`);
    }
  } else if (ov) reasons.push('the output has video the reference lacks');
  const oa = check.audio.out;
  const ra = check.audio.ref;
  if (oa.length !== ra.length) reasons.push(`it has ${oa.length} audio stream(s), the reference ${ra.length}`);
  for (let i = 0; i < Math.min(oa.length, ra.length); i++) {
    if (oa[i].channels !== ra[i].channels) reasons.push(`its audio has ${oa[i].channels} channel(s), the reference's ${ra[i].channels}`);
    if (Math.abs(oa[i].seconds - ra[i].seconds) > AUDIO_SLACK_SECONDS) {
      reasons.push(`its audio lasts ${oa[i].seconds.toFixed(3)} s, the reference's ${ra[i].seconds.toFixed(3)} s`);
    }
  }
  check.outcome = reasons.length === 0 ? 'ok' : 'mismatch';
}
