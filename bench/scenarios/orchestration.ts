// Scenario 2: the orchestration alone at scale. Real dev server, real
// workflows; the activities are stand-ins that return a synthetic plan of N
// shards at once, so the time measured is Temporal's and our workflows'.
import * as path from 'node:path';
import type { Activities } from '../../src/core/contracts';
import type { MediaInfo, SplitInput, VerifyInput } from '../../src/core/contracts';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../../src/core/job/jobInput';
import { MAX_SHARDS } from '../../src/core/job/limits';
import type { BenchContext } from '../context';
import { startInProcess } from '../harness';
import { fixed, seconds, table, type Check, type ScenarioResult } from '../report';
import { TARGET_1000_SHARDS_MS } from '../targets';

const FPS = 30;

/** Stand-ins that answer at once: a source of `shards` one-second shards, encodes that do nothing. */
export function noOpActivities(shards: number): Partial<Activities> {
  const duration = shards;
  const info: MediaInfo = {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration,
    startTime: 0,
    size: 1,
    video: {
      index: 0, codec: 'h264', width: 1920, height: 1080, pixFmt: 'yuv420p', rotation: 0,
      rFrameRate: `${FPS}/1`, avgFrameRate: `${FPS}/1`, frameRate: `${FPS}/1`,
      grid: { timeBase: `1/${FPS}`, startPts: 0, endPts: duration * FPS }, timing: 'packets',
      startTime: 0, endTime: duration, frameCount: duration * FPS, keyframeCount: shards, variableFrameRate: false,
    },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, startTime: 0, duration },
  };
  return {
    probeSource: async () => info,
    splitSource: async (input: SplitInput) => ({ mode: 'copy' as const, count: shards, planUrl: `${input.workUrl}shard-plan.json` }),
    // One-second shards: every one holds FPS output frames.
    encodeShard: async () => ({ frames: FPS, reused: false }),
    encodeAudio: async () => 'file:///nonexistent/audio.m4a',
    mergeRendition: async () => 'file:///nonexistent/out.mp4',
    verifyRendition: async (input: VerifyInput) => ({
      name: input.rendition.name, file: `${input.rendition.name}.mp4`, size: 1, duration, frames: input.shardFrames ?? 0, fps: input.fps,
    }),
    verifySeams: async () => ({}),
    publishOutputs: async () => ({ manifestUrl: 'file:///nonexistent/manifest.json', urls: [] }),
    cleanWorkArea: async () => 0,
  };
}

/** Media slots for stand-in work: no ffmpeg runs, so the slots only bound how many tasks are in flight. */
export const NO_OP_SLOTS = 200;
/** A larger batch for comparison: the default before the measured curve chose 100. */
const LARGE_BATCH = 500;
/** The largest job the scenario runs: it must complete, at the default batch. */
export const LARGEST_JOB = MAX_SHARDS;

/** [shards, batchSize]: every size at the default batch and at a large one, 1,000 shards at the largest batch allowed; the largest job is the shard cap. */
function runsFor(quick: boolean): [number, number][] {
  if (quick) return [[100, DEFAULT_BATCH_SIZE], [1000, DEFAULT_BATCH_SIZE]];
  return [
    [100, DEFAULT_BATCH_SIZE], [1000, DEFAULT_BATCH_SIZE], [LARGEST_JOB, DEFAULT_BATCH_SIZE],
    [100, LARGE_BATCH], [1000, LARGE_BATCH], [5000, LARGE_BATCH],
    [1000, MAX_BATCH_SIZE],
  ];
}

export async function orchestrationScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const rows: (string | number)[][] = [];
  const runs: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const checks: Check[] = [];
  for (const [n, batchSize] of runsFor(ctx.quick)) {
    // Fresh workers per size: each run starts from the same state.
    const workers = await startInProcess({
      client: ctx.client,
      temporalAddress: ctx.temporalAddress,
      dataDir: path.join(ctx.tmp, `noop-${n}-${batchSize}`),
      mediaConcurrency: NO_OP_SLOTS,
      activities: noOpActivities(n),
    });
    try {
      ctx.log(`orchestration: ${n} no-op shards, batchSize ${batchSize}`);
      const run = await workers.run({
        source: 'file:///nonexistent/source.mp4',
        output: `file://${ctx.tmp}/noop-out-${n}-${batchSize}/`,
        renditions: ['mp4-720p'],
        segmentSeconds: 1,
        batchSize,
      });
      if (run.result.shards !== n) throw new Error(`expected ${n} shards, the job reports ${run.result.shards}`);
      const history = run.history;
      const encodes = history.spans.filter((s) => s.name === 'encodeShard');
      const firstEncode = Math.min(...encodes.map((s) => s.start));
      const lastEncode = Math.max(...encodes.map((s) => s.end));
      const fanOutMs = lastEncode - firstEncode;
      rows.push([
        n,
        `${batchSize}${batchSize === DEFAULT_BATCH_SIZE ? ' (default)' : ''}`,
        seconds(run.wallMs, 2),
        `${fixed(run.wallMs / n, 2)} ms`,
        `${fixed(n / (fanOutMs / 1000), 0)} /s`,
        history.childWorkflows,
        history.events,
        seconds(run.cpu.selfMs),
        seconds(run.serverCpuMs),
      ]);
      runs.push({
        shards: n,
        batchSize,
        wallMs: run.wallMs,
        perShardMs: run.wallMs / n,
        fanOutMs,
        events: history.events,
        childWorkflows: history.childWorkflows,
        cpu: run.cpu,
        serverCpuMs: run.serverCpuMs,
      });
      if (n === LARGEST_JOB) checks.push({ name: `${n.toLocaleString('en-US')}-shard job completes`, ok: true, detail: `${seconds(run.wallMs)}, ${history.events} history events in ${history.childWorkflows} child workflows and the parent` });
    } catch (err) {
      // The largest job is a check of its own; a smaller one failing means the scenario itself is broken.
      if (n !== LARGEST_JOB) throw err;
      checks.push({ name: `${n.toLocaleString('en-US')}-shard job completes`, ok: false, detail: (err as Error).message });
    } finally {
      await workers.close();
    }
  }
  // The model of long jobs takes the dispatch rate of the largest job at the default batch.
  const largest = runs.filter((x) => x.batchSize === DEFAULT_BATCH_SIZE).sort((a, b) => (b.shards as number) - (a.shards as number))[0];
  if (largest) ctx.shared.set('dispatch-per-shard-ms', (largest.wallMs as number) / (largest.shards as number));
  for (const r of runs.filter((x) => x.shards === 1000)) {
    const miss = (r.wallMs as number) > TARGET_1000_SHARDS_MS ? ', missed' : '';
    notes.push(`1,000 shards at batchSize ${r.batchSize}: ${seconds(r.wallMs as number)} against a target of ≤ ${seconds(TARGET_1000_SHARDS_MS, 0)}${miss}`);
  }
  return {
    name: 'orchestration',
    title: `2. Orchestration at scale (no-op activities through the real dev server, ${NO_OP_SLOTS} media slots, one worker process)`,
    table: table(['shards', 'batchSize', 'total', 'per shard', 'shard tasks/s', 'child workflows', 'history events', 'worker CPU', 'server CPU'], rows),
    notes,
    checks,
    data: { mediaSlots: NO_OP_SLOTS, runs },
    elapsedMs: performance.now() - t0,
  };
}
