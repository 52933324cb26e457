// Scenario 5: worker memory while a source of 2 GiB or more is transcoded.
// ffmpeg and ffprobe run as separate processes with their own memory and are
// reported apart from the workers'. Two deployments: one process with both
// roles (the default), and workflows and media in separate processes.
import * as path from 'node:path';
import type { BenchContext } from '../context';
import { benchQueues, runRemote, spawnWorker, type WorkerProcess } from '../harness';
import { makeBigSource, probe } from '../media';
import { peakRssMb, rssMb, TreeMemorySampler } from '../proc';
import { fixed, seconds, table, type ScenarioResult } from '../report';
import { TARGET_PEAK_RSS_MB } from '../targets';
import { WORKER_NODE_FLAGS } from '../../src/workerNodeFlags';

const MIN_SOURCE_BYTES = 2 * 2 ** 30;

type Role = 'all' | 'workflows' | 'media';

const DEPLOYMENTS: { label: string; roles: Role[] }[] = [
  { label: 'one process, both roles', roles: ['all'] },
  { label: 'roles in separate processes', roles: ['workflows', 'media'] },
];

interface ProcessMemory {
  deployment: string;
  role: Role;
  idleMb?: number;
  /** Highest RSS sampled while the job ran. */
  jobPeakMb: number;
  /** The kernel's high-water mark: includes start-up (the workflow bundler runs then). */
  hwmMb?: number;
  childPeakMb: Record<string, number>;
  childrenTotalPeakMb: number;
}

export async function memoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  ctx.log('memory: making a source of at least 2 GiB (a 10 s high-bitrate clip, stream-copied end to end; cached)');
  const source = await makeBigSource(ctx.clips, MIN_SOURCE_BYTES);
  const facts = await probe(source);
  const measured: ProcessMemory[] = [];
  const jobs: Record<string, unknown>[] = [];
  for (const [d, deployment] of DEPLOYMENTS.entries()) {
    const queues = benchQueues();
    const procs: WorkerProcess[] = [];
    const samplers: TreeMemorySampler[] = [];
    ctx.log(`memory: ${deployment.label}, transcoding to mp4-720p`);
    try {
      for (const [k, role] of deployment.roles.entries()) {
        procs.push(
          await spawnWorker({
            temporalAddress: ctx.temporalAddress,
            queues,
            dataDir: path.join(ctx.tmp, `memory-${d}`),
            role,
            mediaConcurrency: 2,
            logFile: path.join(ctx.tmp, `memory-${d}-${k}.log`),
          }),
        );
      }
      const idle = procs.map((p) => rssMb(p.pid));
      for (const p of procs) samplers.push(new TreeMemorySampler(p.pid));
      samplers.forEach((s) => s.start());
      const run = await runRemote(ctx.client, queues, { source: `file://${source}`, output: `file://${ctx.tmp}/memory-out-${d}/`, renditions: ['mp4-720p'] });
      samplers.forEach((s) => {
        s.stop();
        s.sample();
      });
      jobs.push({ deployment: deployment.label, wallMs: run.wallMs, shards: run.result.shards });
      procs.forEach((p, k) => {
        const s = samplers[k];
        measured.push({
          deployment: deployment.label,
          role: deployment.roles[k],
          idleMb: idle[k],
          jobPeakMb: s.workerPeakMb,
          hwmMb: peakRssMb(p.pid),
          childPeakMb: s.childPeakMb,
          childrenTotalPeakMb: s.childrenTotalPeakMb,
        });
      });
    } finally {
      samplers.forEach((s) => s.stop());
      for (const p of procs) await p.stop();
    }
  }
  const rows = measured.map((m) => [
    m.deployment,
    m.role,
    `${fixed(m.idleMb, 0)} MB`,
    `**${fixed(m.jobPeakMb, 0)} MB**`,
    `${fixed(m.hwmMb, 0)} MB`,
    m.childPeakMb.ffmpeg ? `${fixed(m.childPeakMb.ffmpeg, 0)} MB` : '–',
    m.childPeakMb.ffprobe ? `${fixed(m.childPeakMb.ffprobe, 0)} MB` : '–',
    m.childrenTotalPeakMb ? `${fixed(m.childrenTotalPeakMb, 0)} MB` : '–',
  ]);
  const notes = [
    `source: ${fixed(facts.size / 2 ** 30, 2)} GiB, ${fixed(facts.duration, 0)} s of 1080p30 (${facts.video?.packets} frames) at ${fixed((facts.size * 8) / facts.duration / 1e6, 0)} Mbit/s; ` +
      jobs.map((j) => `${j.deployment}: ${seconds(j.wallMs as number)}, ${j.shards} shards`).join('; '),
    `workers start with the node flags \`shardflow worker\` gets from bin/shardflow.js: ${WORKER_NODE_FLAGS.join(' ')}`,
    'RSS sampled every 200 ms; VmHWM is the kernel\'s high-water mark since the process started, so it includes start-up',
  ];
  for (const m of measured) {
    const target = TARGET_PEAK_RSS_MB[m.role as keyof typeof TARGET_PEAK_RSS_MB];
    if (m.jobPeakMb > target) notes.push(`${m.deployment}, role ${m.role}: peak ${fixed(m.jobPeakMb, 0)} MB while the job ran, above the ${target} MB target`);
  }
  return {
    name: 'memory',
    title: `5. Memory: worker processes transcoding a ${fixed(facts.size / 2 ** 30, 1)} GiB source (targets: worker peak RSS ≤ ${TARGET_PEAK_RSS_MB.all} MB with both roles, ≤ ${TARGET_PEAK_RSS_MB.media} MB media alone)`,
    table: table(['deployment', 'worker role', 'RSS idle, before the job', 'peak RSS during the job', 'VmHWM (incl. start-up)', 'largest ffmpeg', 'largest ffprobe', 'children at once, peak'], rows),
    notes,
    checks: [],
    data: { sourceBytes: facts.size, sourceSeconds: facts.duration, targetMb: TARGET_PEAK_RSS_MB, jobs, processes: measured },
    elapsedMs: performance.now() - t0,
  };
}
