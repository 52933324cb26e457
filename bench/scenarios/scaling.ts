// Scenario 4: one worker process against two, as separate OS processes
// (bench/workerProcess.js) sharing one Temporal server and one file:// store.
// Pinning each process to its own core stands in for separate one-core
// machines; unpinned runs show what a second process adds on the same box.
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config';
import { mainClip, mainClipSpec, RENDITION, type BenchContext } from '../context';
import { benchQueues, runRemote, spawnWorker, type WorkerProcess } from '../harness';
import { fixed, seconds, table, type ScenarioResult } from '../report';

interface Setup {
  label: string;
  group: 'pinned' | 'whole machine';
  processes: number;
  slots: number;
  threads: number;
  /** CPU list per process, for taskset. */
  cpus?: string[];
}

const SEGMENT_SECONDS = 5;

function setups(quick: boolean): Setup[] {
  const cores = os.availableParallelism();
  const pinned: Setup[] = cores >= 2
    ? [
        { label: '1 process on 1 core', group: 'pinned', processes: 1, slots: 1, threads: 1, cpus: ['0'] },
        { label: '2 processes, 1 core each', group: 'pinned', processes: 2, slots: 1, threads: 1, cpus: ['0', '1'] },
      ]
    : [];
  if (quick) return pinned;
  return [
    ...pinned,
    { label: '1 process, default settings', group: 'whole machine', processes: 1, slots: cores, threads: 1 },
    { label: '2 processes, default settings', group: 'whole machine', processes: 2, slots: cores, threads: 1 },
  ];
}

/** One job on workers someone started on other machines (README: "Workers on N machines"). */
async function externalRun(ctx: BenchContext, source: string): Promise<ScenarioResult> {
  const t0 = performance.now();
  const { taskQueue, mediaTaskQueue } = loadConfig();
  ctx.log(`scaling: one job on external workers, queues ${taskQueue} and ${mediaTaskQueue}`);
  const run = await runRemote(ctx.client, { taskQueue, mediaTaskQueue }, {
    source: `file://${source}`,
    output: `file://${ctx.tmp}/scaling-out-external/`,
    renditions: [RENDITION],
    segmentSeconds: SEGMENT_SECONDS,
  });
  const workers = Object.entries(run.history.shardsByWorker).sort();
  const spec = mainClipSpec(ctx.quick);
  return {
    name: 'scaling',
    title: `4. Scaling: external workers (${spec.seconds} s ${spec.width}x${spec.height} clip, segmentSeconds ${SEGMENT_SECONDS}, ${RENDITION.name})`,
    table: table(['worker (pid@host)', 'shards'], [...workers, ['**job wall time**', seconds(run.wallMs)]]),
    notes: [],
    checks: [],
    data: { clip: spec, segmentSeconds: SEGMENT_SECONDS, external: true, wallMs: run.wallMs, shardsByWorker: run.history.shardsByWorker },
    elapsedMs: performance.now() - t0,
  };
}

export async function scalingScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const source = await mainClip(ctx);
  if (ctx.externalWorkers) return externalRun(ctx, source);
  const rows: (string | number)[][] = [];
  const runs: Record<string, unknown>[] = [];
  const baseline: Record<string, number> = {};
  for (const [i, s] of setups(ctx.quick).entries()) {
    const queues = benchQueues();
    const dataDir = path.join(ctx.tmp, `scaling-${i}`);
    const procs: WorkerProcess[] = [];
    ctx.log(`scaling: ${s.label}`);
    try {
      for (let p = 0; p < s.processes; p++) {
        procs.push(
          await spawnWorker({
            temporalAddress: ctx.temporalAddress,
            queues,
            dataDir,
            role: p === 0 ? 'all' : 'media',
            mediaConcurrency: s.slots,
            ffmpegThreads: s.threads,
            cpus: s.cpus?.[p],
            logFile: path.join(ctx.tmp, `scaling-${i}-worker-${p}.log`),
          }),
        );
      }
      const run = await runRemote(ctx.client, queues, {
        source: `file://${source}`,
        output: `file://${ctx.tmp}/scaling-out-${i}/`,
        renditions: [RENDITION],
        segmentSeconds: SEGMENT_SECONDS,
      });
      const history = run.history;
      const names = new Map(procs.map((p, k) => [p.pid, `p${k + 1}`]));
      const perProcess = Object.entries(history.shardsByWorker)
        .map(([identity, n]) => `${names.get(Number(identity.split('@')[0])) ?? identity}: ${n}`)
        .sort()
        .join(', ');
      baseline[s.group] ??= run.wallMs;
      const speedup = baseline[s.group] / run.wallMs;
      rows.push([s.label, s.group, s.processes * s.slots, seconds(run.wallMs), fixed(speedup, 2), fixed(speedup / s.processes, 2), perProcess]);
      runs.push({ ...s, wallMs: run.wallMs, speedup, shards: run.result.shards, shardsByWorker: history.shardsByWorker });
    } finally {
      for (const p of procs) await p.stop();
    }
  }
  const spec = mainClipSpec(ctx.quick);
  const notes: string[] = [];
  const wm = runs.filter((r) => r.group === 'whole machine');
  if (wm.length === 2) {
    notes.push(`on one ${os.availableParallelism()}-core machine a second process adds slots but no cores: speedup ${fixed(wm[1].speedup as number, 2)}; more machines are what add throughput`);
  }
  return {
    name: 'scaling',
    title: `4. Scaling: worker processes (${spec.seconds} s ${spec.width}x${spec.height} clip, segmentSeconds ${SEGMENT_SECONDS}, ${RENDITION.name})`,
    table: table(['setup', 'group', 'media slots', 'wall', 'speedup', 'efficiency', 'shards per process'], rows),
    notes,
    checks: [],
    data: { clip: spec, segmentSeconds: SEGMENT_SECONDS, runs },
    elapsedMs: performance.now() - t0,
  };
}
