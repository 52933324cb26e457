// A model of a long job on many workers, built from measured stage costs.
//
// The pipeline scenario measures every stage on clips of a few lengths; each
// stage's time is fitted as a fixed part plus a part per source second.
// Verify's fixed part is its one seam window (every measured job has two
// shards), so the model pays it once per seam, spread over the workers in
// the parts a job spreads them over (src/core/job/seamParts.ts). The
// model then predicts the wall time of a 1-hour 1080p job on 1 to 1,000
// workers (one media slot and one core each): the serial stages back to back,
// and the shard encodes list-scheduled on the workers, longest first, with the
// measured hand-off per shard and no faster than the dev server dispatched
// tasks at scale. For each worker count it picks the best keyframe-aligned
// shard length, and shows the default one beside it.
//
// `node dist/bench/simulate.js` (npm run bench:simulate) models the newest
// stored pipeline run and writes simulate.json into that run's folder; a full
// bench run does the same with its own results.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SEGMENT_SECONDS } from '../src/core/job/jobInput';
import { seamParts } from '../src/core/job/seamParts';
import { fixed, seconds, table, type ScenarioResult } from './report';
import { latestResults, type StoredResult } from './results';
import type { ClipResult } from './scenarios/pipeline';
import { pipelineClipsOf } from './summary';

/** A stage's time: `fixedMs` plus `perSecondMs` for every second of source. */
export interface LinearCost {
  fixedMs: number;
  perSecondMs: number;
}

export interface StageCosts {
  /** Stages that run one after another, outside the parallel encode. */
  serial: Record<'prepare' | 'probe' | 'split' | 'merge' | 'verify' | 'publish' | 'clean', LinearCost>;
  /** One shard encode on one single-threaded slot, per second of shard. */
  encodePerSecondMs: number;
  /** Audio, encoded once per rendition beside the shards. */
  audio: LinearCost;
  /** Orchestration per shard task (hand-off to a slot and back). */
  handOffPerShardMs: number;
  /** Orchestration per job. */
  handOffPerJobMs: number;
  /** The slowest the dev server dispatched shard tasks at scale, ms per task. */
  dispatchPerShardMs: number;
  /** Plain ffmpeg on the measuring machine (all its cores), per source second. */
  plainPerSecondMs: number;
  /** Keyframe spacing of the measured source: shards are whole GOPs. */
  gopSeconds: number;
}

const at = (c: LinearCost, s: number): number => c.fixedMs + c.perSecondMs * s;

const SERIAL = ['prepare', 'probe', 'split', 'merge', 'verify', 'publish', 'clean'] as const;

/**
 * Least squares over (seconds, ms) points, with neither part negative. When the free fit has a negative part, the
 * better of the two lines at the edge: through the origin, or flat (no growth with length that the noise shows).
 * One point gives a line through the origin.
 */
export function fitLinear(points: { seconds: number; ms: number }[]): LinearCost {
  const through0 = (): LinearCost => ({
    fixedMs: 0,
    perSecondMs: points.reduce((t, p) => t + p.seconds * p.ms, 0) / Math.max(1e-9, points.reduce((t, p) => t + p.seconds ** 2, 0)),
  });
  const flat = (): LinearCost => ({ fixedMs: points.reduce((t, p) => t + p.ms, 0) / points.length, perSecondMs: 0 });
  const squaredError = (c: LinearCost): number => points.reduce((t, p) => t + (at(c, p.seconds) - p.ms) ** 2, 0);
  const xs = new Set(points.map((p) => p.seconds));
  if (xs.size < 2) return through0();
  const n = points.length;
  const mx = points.reduce((t, p) => t + p.seconds, 0) / n;
  const my = points.reduce((t, p) => t + p.ms, 0) / n;
  const sxy = points.reduce((t, p) => t + (p.seconds - mx) * (p.ms - my), 0);
  const sxx = points.reduce((t, p) => t + (p.seconds - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  if (intercept >= 0 && slope >= 0) return { fixedMs: intercept, perSecondMs: slope };
  const [a, b] = [through0(), flat()];
  return squaredError(a) <= squaredError(b) ? a : b;
}

function phaseMs(c: ClipResult, label: string): number {
  const p = c.breakdown.phases.find((x) => x.label === label);
  return p ? p.end - p.start : 0;
}

/** Stage costs from the pipeline's clips (each clip's median pair) and the orchestration's largest run. */
export function stageCosts(clips: ClipResult[], dispatchPerShardMs: number): StageCosts {
  const fit = (f: (c: ClipResult) => number): LinearCost => fitLinear(clips.map((c) => ({ seconds: c.clip.seconds, ms: f(c) })));
  const serial = Object.fromEntries(SERIAL.map((l) => [l, fit((c) => phaseMs(c, l))])) as StageCosts['serial'];
  const encodeMs = clips.reduce((t, c) => t + c.breakdown.encodeMs.mean * c.breakdown.shardTasks, 0);
  const sourceSeconds = clips.reduce((t, c) => t + c.clip.seconds, 0);
  const overhead = fitLinear(clips.map((c) => ({ seconds: c.breakdown.shardTasks, ms: Math.max(0, c.breakdown.overheadMs) })));
  const plain = clips.map((c) => {
    const mid = [...c.pairs].sort((a, b) => a.pipelineMs / a.plainMs - b.pipelineMs / b.plainMs)[Math.floor((c.pairs.length - 1) / 2)];
    return mid.plainMs / c.clip.seconds;
  });
  return {
    serial,
    encodePerSecondMs: encodeMs / sourceSeconds,
    audio: fit((c) => c.breakdown.audioMs),
    handOffPerShardMs: overhead.perSecondMs,
    handOffPerJobMs: overhead.fixedMs,
    dispatchPerShardMs,
    plainPerSecondMs: plain.reduce((a, b) => a + b, 0) / plain.length,
    gopSeconds: clips[0].clip.gop / clips[0].clip.fps,
  };
}

/**
 * The serial stages of one job on `workers` workers. Verify compares the frames around every seam, one window each,
 * and the measured jobs have one seam: its fixed part is paid per seam, in parts that run side by side on the
 * workers there are, none without a seam.
 */
export function serialStagesMs(costs: StageCosts, sourceSeconds: number, shards: number, workers: number): number {
  // The parts in turn on the workers, the longest first: the busiest worker's windows are verify's.
  const parts = seamParts(shards, sourceSeconds, sourceSeconds / costs.gopSeconds);
  const load = new Array<number>(Math.min(workers, parts.length)).fill(0);
  parts.forEach((p, i) => (load[i % load.length] += p.count));
  const seamWindows = Math.max(0, ...load);
  return SERIAL.reduce((t, l) => {
    const c = costs.serial[l];
    return t + (l === 'verify' ? c.fixedMs * seamWindows + c.perSecondMs * sourceSeconds : at(c, sourceSeconds));
  }, 0);
}

export interface Prediction {
  workers: number;
  shardSeconds: number;
  shards: number;
  serialMs: number;
  parallelMs: number;
  /** What the parallel phase waits for: the shard encodes, the one audio encode, or the server's dispatch. */
  boundBy: 'encodes' | 'audio' | 'dispatch';
  wallMs: number;
}

/** Wall time of one job of `sourceSeconds` on `workers` single-slot workers with shards of `shardSeconds`. */
export function predict(costs: StageCosts, sourceSeconds: number, workers: number, shardSeconds: number, scale = 1): Prediction {
  const shards = Math.max(1, Math.ceil(sourceSeconds / shardSeconds - 1e-9));
  const serialMs = serialStagesMs(costs, sourceSeconds, shards, workers) * scale + costs.handOffPerJobMs;
  // Equal shards but the last: longest first, so the short one goes where a slot frees up first.
  const lengths = Array.from({ length: shards }, (_, i) => Math.min(shardSeconds, sourceSeconds - i * shardSeconds));
  const free = new Array<number>(Math.min(workers, shards)).fill(0);
  // Equal lengths fill the slots round-robin; past a few thousand shards that is exact and quick.
  for (const [i, len] of lengths.entries()) free[i % free.length] += len * costs.encodePerSecondMs * scale + costs.handOffPerShardMs;
  const makespan = Math.max(...free);
  const bounds = { encodes: makespan, dispatch: shards * costs.dispatchPerShardMs, audio: at(costs.audio, sourceSeconds) * scale };
  const boundBy = (Object.keys(bounds) as Prediction['boundBy'][]).reduce((a, b) => (bounds[b] > bounds[a] ? b : a));
  const parallelMs = bounds[boundBy];
  return { workers, shardSeconds, shards, serialMs, parallelMs, boundBy, wallMs: serialMs + parallelMs };
}

/** The keyframe-aligned shard length with about the shortest predicted wall time, never under one GOP. */
export function bestPrediction(costs: StageCosts, sourceSeconds: number, workers: number, scale = 1): Prediction {
  const gop = costs.gopSeconds;
  const candidates = new Set<number>();
  for (let k = 1; k * gop <= sourceSeconds; k = Math.max(k + 1, Math.floor(k * 1.1))) candidates.add(k * gop);
  // Lengths that give every worker the same number of shards.
  for (let rounds = 1; rounds <= 8; rounds++) {
    const len = Math.max(gop, Math.ceil(sourceSeconds / (workers * rounds) / gop) * gop);
    candidates.add(len);
  }
  candidates.add(sourceSeconds);
  const all = [...candidates].map((len) => predict(costs, sourceSeconds, workers, len, scale));
  const fastest = Math.min(...all.map((p) => p.wallMs));
  // Of the lengths within 1 % of the fastest, the longest: fewer keyframes cost less size and quality.
  return all.filter((p) => p.wallMs <= fastest * 1.01).sort((a, b) => b.shardSeconds - a.shardSeconds)[0];
}

/** The published Function Compute chunking example: 89 s of 4K, one function against 5 s shards. */
const FC_EXAMPLE = { sourceSeconds: 89, shardSeconds: 5, singleMs: 188_000, shardedMs: 35_000 };
/** 4K pixels: encode, split and merge costs are taken to scale with the pixel count of the measured clip. */
const UHD_PIXELS = 3840 * 2160;
const WORKER_COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const HOUR = 3600;

export function simulate(clips: ClipResult[], dispatchPerShardMs: number, sources: string): Omit<ScenarioResult, 'elapsedMs'> {
  const costs = stageCosts(clips, dispatchPerShardMs);
  const clip = clips[clips.length - 1].clip;
  const single = predict(costs, HOUR, 1, HOUR);
  const rows = WORKER_COUNTS.map((w) => {
    const best = bestPrediction(costs, HOUR, w);
    const fixedLen = predict(costs, HOUR, w, DEFAULT_SEGMENT_SECONDS);
    return [
      w, `${fixed(best.shardSeconds, 0)} s`, best.shards, seconds(best.wallMs, 0), `${fixed(single.wallMs / best.wallMs, 1)} ×`,
      `${fixed((best.serialMs / best.wallMs) * 100, 1)} %`, best.boundBy, seconds(fixedLen.wallMs, 0), fixed(best.wallMs / (costs.plainPerSecondMs * HOUR), 3),
    ];
  });
  const unlimited = predict(costs, HOUR, 1e6, costs.gopSeconds);
  const uhdScale = UHD_PIXELS / (clip.width * clip.height);
  const fcSingle = predict(costs, FC_EXAMPLE.sourceSeconds, 1, FC_EXAMPLE.sourceSeconds, uhdScale);
  const fcSharded = predict(costs, FC_EXAMPLE.sourceSeconds, Math.ceil(FC_EXAMPLE.sourceSeconds / FC_EXAMPLE.shardSeconds), FC_EXAMPLE.shardSeconds, uhdScale);
  const fcSerial = FC_EXAMPLE.shardedMs - (FC_EXAMPLE.singleMs * FC_EXAMPLE.shardSeconds) / FC_EXAMPLE.sourceSeconds;
  // A stage that took time but did not grow with length above the noise: its per-second part is unknown, not zero.
  const flat = SERIAL.filter((l) => costs.serial[l].perSecondMs === 0 && costs.serial[l].fixedMs >= 100);
  const costRows = [
    ...SERIAL.map((l) => [l, `${fixed(costs.serial[l].fixedMs, 0)} ms${l === 'verify' ? ' per seam' : ''}`, `${fixed(costs.serial[l].perSecondMs, 1)} ms`]),
    ['shard encode, one 1-thread slot', '', `${fixed(costs.encodePerSecondMs, 0)} ms`],
    ['audio (beside the shards)', `${fixed(costs.audio.fixedMs, 0)} ms`, `${fixed(costs.audio.perSecondMs, 1)} ms`],
    ['orchestration', `${fixed(costs.handOffPerJobMs, 0)} ms per job`, `${fixed(costs.handOffPerShardMs, 0)} ms per shard`],
    ['dev server dispatch at scale', '', `${fixed(costs.dispatchPerShardMs, 2)} ms per shard`],
    ['plain ffmpeg, whole measuring machine', '', `${fixed(costs.plainPerSecondMs, 0)} ms`],
  ];
  return {
    name: 'simulate',
    title: `7. Model: a 1-hour ${clip.width}x${clip.height} job on 1 to 1,000 workers, from the measured stage costs`,
    table: [
      'Measured costs (fitted over the pipeline clips, median pairs; per second of source):',
      '',
      table(['stage', 'fixed', 'per source second'], costRows),
      '',
      `Predicted wall time, 1 hour of ${clip.width}x${clip.height}@${clip.fps}, one 1-thread media slot per worker, shards whole ${fixed(costs.gopSeconds, 0)} s GOPs:`,
      '',
      table(['workers', 'best shard length', 'shards', 'wall', 'speedup', 'serial stages', 'parallel phase bound by', `wall at ${DEFAULT_SEGMENT_SECONDS} s shards`, '÷ plain ffmpeg on the measuring machine'], rows),
      '',
      `The published Function Compute chunking example (${FC_EXAMPLE.sourceSeconds} s of 4K), against the model with costs × ${fixed(uhdScale, 0)} for 4K pixels:`,
      '',
      table(['', 'one worker', `${FC_EXAMPLE.shardSeconds} s shards, one worker each`, 'speedup', 'serial part (sharded wall − one shard)'], [
        ['Function Compute, published', seconds(FC_EXAMPLE.singleMs, 0), seconds(FC_EXAMPLE.shardedMs, 0), `${fixed(FC_EXAMPLE.singleMs / FC_EXAMPLE.shardedMs, 1)} ×`, seconds(fcSerial, 0)],
        ['shardflow, model', seconds(fcSingle.wallMs, 0), seconds(fcSharded.wallMs, 0), `${fixed(fcSingle.wallMs / fcSharded.wallMs, 1)} ×`, seconds(fcSharded.serialMs, 1)],
      ]),
    ].join('\n'),
    notes: [
      `the speedup flattens where the serial stages dominate: with unlimited workers and ${fixed(costs.gopSeconds, 0)} s shards the 1-hour job tends to ` +
        `${fixed(single.wallMs / unlimited.wallMs, 0)} × one worker (${seconds(unlimited.wallMs, 0)}: serial stages ${seconds(unlimited.serialMs, 0)}, parallel phase ${seconds(unlimited.parallelMs, 0)} bound by ${unlimited.boundBy})`,
      ...(flat.length > 0
        ? [`fitted flat (no growth with clip length above the noise, so none is modelled): ${flat.join(', ')}; a long source's share of such a stage is missing from the model`]
        : []),
      `a model, not a measurement: costs from ${sources}; the serial stages are as measured (their split mode included), verify's seam windows in the job's parts side by side, encodes scale with source length, 4K with pixel count; no network, storage or cold-start time is modelled`,
    ],
    checks: [],
    data: {
      costs,
      hourSeconds: HOUR,
      single,
      predictions: WORKER_COUNTS.map((w) => ({ best: bestPrediction(costs, HOUR, w), fixedLength: predict(costs, HOUR, w, DEFAULT_SEGMENT_SECONDS) })),
      fc: { published: FC_EXAMPLE, model: { single: fcSingle, sharded: fcSharded } },
    },
  };
}

/** ms per shard task at the orchestration scenario's largest run at the default batch, or a conservative guess without one. */
export function dispatchPerShard(orchestration: StoredResult | undefined): number {
  const runs = (orchestration?.data as { runs?: { shards: number; batchSize: number; wallMs: number }[] } | undefined)?.runs ?? [];
  const largest = [...runs].sort((a, b) => b.shards - a.shards || a.batchSize - b.batchSize)[0];
  return largest ? largest.wallMs / largest.shards : 10;
}

if (require.main === module) {
  const repo = path.resolve(__dirname, '../..');
  (async () => {
    const latest = latestResults(repo);
    const pipeline = latest.get('pipeline');
    if (!pipeline) throw new Error('no stored pipeline result in bench/results/<date>/: run the bench first');
    const orchestration = latest.get('orchestration');
    const from = [pipeline, orchestration].filter((r): r is StoredResult => r !== undefined).map((r) => `\`${r.folder}\` (${r.scenario})`).join(', ');
    const result = { ...simulate(pipelineClipsOf(pipeline.data), dispatchPerShard(orchestration), from), elapsedMs: 0 };
    const body = {
      scenario: result.name, title: result.title, ranAt: pipeline.ranAt, command: 'node dist/bench/simulate.js', machine: pipeline.machine,
      checks: result.checks, notes: result.notes, table: result.table, data: result.data,
    };
    const file = path.join(repo, pipeline.folder, 'simulate.json');
    await fs.writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
    process.stdout.write(`${result.table}\n\n${result.notes.map((n) => `- ${n}`).join('\n')}\n\nwrote ${path.relative(repo, file)}; npm run bench:report publishes it\n`);
  })().catch((err: unknown) => {
    process.stderr.write(`simulate: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
