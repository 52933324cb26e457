// The published view of the stored results: one headline table for the
// README, and every scenario's tables with where and how they were measured
// for docs/benchmarks.md. Built only from bench/results/, so the docs never
// carry a number the bench did not write.
import { DEFAULT_BATCH_SIZE } from '../src/core/job/jobInput';
import { medianCpuFloor, pipelineJobCpuMs } from './cpuFloor';
import { fixed, machineLine, renderScenario, signed, seconds, table } from './report';
import type { StoredResult } from './results';
import type { LadderData } from './scenarios/ladder';
import type { ClipResult } from './scenarios/pipeline';
import { SERIAL_SHARE_CLIP_SECONDS, TARGET_1000_SHARDS_MS, TARGET_PEAK_RSS_MB, TARGET_PSNR_DELTA_DB, TARGET_SERIAL_SHARE, TARGET_SHORT_SHARD_PSNR_DELTA_DB, targetWallRatio } from './targets';

/** Scenarios in the order the docs show them. */
export const PUBLISHED = ['pipeline', 'orchestration', 'quality', 'scaling', 'memory', 'dispatch-overhead', 'simulate', 'ladder'];

// The parts of each scenario's data the headline reads.
/** Results written before the pipeline ran several clips: one clip, its numbers at the top level. */
interface OneClipPipelineData {
  clip: ClipResult['clip'];
  pairs: { plainMs: number; pipelineMs: number }[];
  ratio: number;
  cpuRatio: number;
  transcodeRatio: number;
  breakdown: ClipResult['breakdown'];
}
type PipelineData = { clips: ClipResult[] } | OneClipPipelineData;
interface OrchestrationData {
  runs: { shards: number; batchSize: number; wallMs: number; cpu?: { selfMs: number }; serverCpuMs?: number }[];
}
interface QualityVariant {
  kind: 'single' | 'shardflow' | 'alibaba';
  segmentSeconds?: number;
  facts: { video?: { packets: number } };
  quality: { psnr: number };
  equalQualitySize: number;
  audioSamples: number;
  audioDiffToSingle: number | null;
  boundaries: { boundaries: number; discontinuities: number; clicks: number; largestJumpMs: number; driftMs: number };
}
interface ScalingData {
  runs: { group: string; processes: number; speedup: number; wallMs: number }[];
}
interface MemoryData {
  sourceBytes: number;
  processes: { deployment: string; role: string; idleMb: number; jobPeakMb: number }[];
}
interface DispatchData {
  overheadMs: { median: number; p95: number };
}

type Row = [string, string, string];

/** Each clip's results, whichever shape the stored run has. */
export function pipelineClipsOf(data: unknown): ClipResult[] {
  const d = data as PipelineData;
  if ('clips' in d) return d.clips;
  const ratios = d.pairs.map((p) => p.pipelineMs / p.plainMs);
  const mid = d.pairs[ratios.findIndex((x) => Math.abs(x - d.ratio) < 1e-12)] ?? d.pairs[0];
  const serialMs = ['prepare', 'probe', 'split', 'merge', 'verify', 'publish', 'clean'].reduce((t, l) => t + phaseOf(d.breakdown, l), 0);
  return [{
    clip: d.clip, sourceBytes: 0, pairs: d.pairs as ClipResult['pairs'], ratio: d.ratio, ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios),
    ratioOfSums: d.pairs.reduce((t, p) => t + p.pipelineMs, 0) / d.pairs.reduce((t, p) => t + p.plainMs, 0), cpuRatio: d.cpuRatio,
    transcodeRatio: d.transcodeRatio, serialMs, serialShare: serialMs / mid.pipelineMs, target: targetWallRatio(d.clip.seconds),
    shards: d.breakdown.shardTasks, splitMode: 'copy', breakdown: d.breakdown, workerCpuMs: 0,
  }];
}

function phaseOf(b: ClipResult['breakdown'], label: string): number {
  const p = b.phases.find((x) => x.label === label);
  return p ? p.end - p.start : 0;
}

function pipelineRows(r: StoredResult): Row[] {
  const clips = pipelineClipsOf(r.data);
  const rows: Row[] = clips.map((c) => [
    `wall time, shardflow / plain ffmpeg, ${c.clip.seconds} s ${c.clip.width}x${c.clip.height}@${c.clip.fps} (${c.shards} shards)`,
    `${fixed(c.ratio, 3)} (${c.pairs.length > 1 ? `median of ${c.pairs.length} pairs, ${fixed(c.ratioMin, 3)} to ${fixed(c.ratioMax, 3)}` : 'one pair'})`,
    `≤ ${c.target}`,
  ]);
  const floor = pipelineFloorRow(clips, r.machine.cores);
  if (floor) rows.push(floor);
  const main = clips[clips.length - 1];
  const mid = main.serialMs / main.serialShare;
  const share = (...labels: string[]): string => `${fixed((labels.reduce((t, l) => t + phaseOf(main.breakdown, l), 0) / mid) * 100, 1)} %`;
  rows.push(
    [`ffmpeg CPU, shardflow / plain, ${main.clip.seconds} s clip`, fixed(main.cpuRatio, 3), ''],
    [`parallel encode phase alone / plain, ${main.clip.seconds} s clip`, fixed(main.transcodeRatio, 3), ''],
    [
      `stages outside the parallel encode, share of the ${main.clip.seconds} s job`,
      `${fixed(main.serialShare * 100, 1)} %: probe ${share('probe')}, split ${share('split')}, merge ${share('merge')}, verify + publish + clean ${share('verify', 'publish', 'clean')}`,
      main.clip.seconds === SERIAL_SHARE_CLIP_SECONDS ? `≤ ${fixed(TARGET_SERIAL_SHARE * 100, 0)} %` : '',
    ],
    ['orchestration overhead', `${seconds(main.breakdown.overheadMs, 2)} per job, ${fixed(main.breakdown.overheadMs / Math.max(1, main.breakdown.shardTasks), 0)} ms per shard`, ''],
  );
  return rows;
}

/**
 * The best wall ratio each clip's CPU allows (ffmpeg, worker and dev server; the two processes' CPU was measured
 * once per clip, so each pair carries it): where it is above the target, the target needs less work, not better
 * scheduling.
 */
function pipelineFloorRow(clips: ClipResult[], cores: number): Row | undefined {
  // Runs before the bench measured CPU per pair have no floor.
  if (clips.some((c) => c.pairs.some((p) => typeof p.pipelineCpuMs !== 'number'))) return undefined;
  const floors = clips.map((c) => medianCpuFloor(c.pairs.map((p) => ({ plainMs: p.plainMs, jobCpuMs: pipelineJobCpuMs(p, c) })), cores));
  return [
    `best wall ratio the job's CPU allows on ${cores} cores (all busy from start to end), ${clips.map((c) => c.clip.seconds).join(' / ')} s clips`,
    `${floors.map((f) => fixed(f.median, 3)).join(' / ')} (median pairs)`,
    `≤ ${clips.map((c) => c.target).join(' / ')}`,
  ];
}

function orchestrationRows(r: StoredResult): Row[] {
  const d = r.data as OrchestrationData;
  const at = (shards: number): string =>
    d.runs
      .filter((x) => x.shards === shards)
      .sort((a, b) => a.batchSize - b.batchSize)
      .map((x) => `${seconds(x.wallMs)} at batchSize ${x.batchSize.toLocaleString('en-US')}`)
      .join(', ');
  const rows: Row[] = [
    ['1,000 no-op shards through the dev server', at(1000), `≤ ${seconds(TARGET_1000_SHARDS_MS, 0)}`],
    ['5,000 no-op shards', at(5000), ''],
  ];
  // The least time the CPU the worker and the dev server spent on them takes with every core busy.
  const thousand = d.runs.find((x) => x.shards === 1000 && x.batchSize === DEFAULT_BATCH_SIZE);
  if (thousand?.cpu && thousand.serverCpuMs !== undefined) {
    const cpuMs = thousand.cpu.selfMs + thousand.serverCpuMs;
    rows.push([
      `1,000 no-op shards: their CPU on ${r.machine.cores} cores, all busy from start to end`,
      `${seconds(cpuMs / r.machine.cores)} (worker ${seconds(thousand.cpu.selfMs)} + dev server ${seconds(thousand.serverCpuMs)} of CPU)`,
      `≤ ${seconds(TARGET_1000_SHARDS_MS, 0)}`,
    ]);
  }
  if (d.runs.some((x) => x.shards === 20_000)) rows.push(['20,000 no-op shards', at(20_000), 'completes']);
  return rows;
}

function qualityRows(r: StoredResult): Row[] {
  const variants = (r.data as { variants: QualityVariant[] }).variants;
  const single = variants.find((v) => v.kind === 'single');
  if (!single) return [];
  const bySegment = (kind: string): QualityVariant[] => variants.filter((v) => v.kind === kind).sort((a, b) => (a.segmentSeconds ?? 0) - (b.segmentSeconds ?? 0));
  const ours = bySegment('shardflow');
  const each = (f: (v: QualityVariant) => string): string => ours.map(f).join(' / ');
  const lengths = `${each((v) => String(v.segmentSeconds))} s shards`;
  const frames = single.facts.video?.packets ?? 0;
  const audioSame = ours.every((v) => v.audioSamples === single.audioSamples && v.audioDiffToSingle === 0);
  const rows: Row[] = [
    [`frames vs single-pass, ${lengths}`, `${each((v) => String(v.facts.video?.packets))} vs ${frames}`, 'equal'],
    [
      `PSNR vs single-pass at the same CRF, ${lengths}`,
      `${each((v) => signed(v.quality.psnr - single.quality.psnr, 3))} dB`,
      `within ${TARGET_SHORT_SHARD_PSNR_DELTA_DB} dB at 2 s, ${TARGET_PSNR_DELTA_DB} dB longer`,
    ],
    [`video size vs single-pass at equal PSNR, ${lengths}`, `${each((v) => signed((v.equalQualitySize - 1) * 100, 2))} %`, ''],
    [
      'audio vs single-pass; jumps and glitches at the cuts',
      `${audioSame ? 'identical' : 'differs'}; ${each((v) => String(v.boundaries.discontinuities + v.boundaries.clicks))} at ${each((v) => String(v.boundaries.boundaries))} cuts`,
      'identical; 0',
    ],
  ];
  const alibaba = bySegment('alibaba')[0];
  if (alibaba) {
    const b = alibaba.boundaries;
    rows.push([
      `the original Alibaba sample's way (AAC per piece, then concat), ${alibaba.segmentSeconds} s pieces`,
      `${signed((alibaba.facts.video?.packets ?? 0) - frames, 0)} frame, ${b.discontinuities} jumps of ${fixed(b.largestJumpMs, 1)} ms, audio ${fixed(b.driftMs, 0)} ms late at the end`,
      '',
    ]);
  }
  return rows;
}

function scalingRows(r: StoredResult): Row[] {
  const d = r.data as ScalingData;
  const two = (group: string) => d.runs.find((x) => x.group === group && x.processes === 2);
  const pinned = two('pinned');
  const shared = two('whole machine');
  const rows: Row[] = [];
  if (pinned) rows.push(['2 worker processes vs 1, each pinned to its own core', `${fixed(pinned.speedup, 2)} × faster (efficiency ${fixed(pinned.speedup / 2, 2)})`, '']);
  if (shared) rows.push(['2 worker processes vs 1 on the same 2 cores, default settings', `${fixed(shared.speedup, 2)} ×`, '']);
  return rows;
}

function memoryRows(r: StoredResult): Row[] {
  const d = r.data as MemoryData;
  const source = `${fixed(d.sourceBytes / 2 ** 30, 2)} GiB source`;
  const of = (role: string) => d.processes.find((p) => p.role === role);
  const media = of('media');
  const all = of('all');
  const rows: Row[] = [];
  if (media) rows.push([`worker peak RSS, ${source}, media role alone`, `${fixed(media.jobPeakMb, 0)} MB`, `≤ ${TARGET_PEAK_RSS_MB.media} MB`]);
  if (all) rows.push([`worker peak RSS, ${source}, workflows + media in one process`, `${fixed(all.jobPeakMb, 0)} MB (idle before the job: ${fixed(all.idleMb, 0)} MB)`, `≤ ${TARGET_PEAK_RSS_MB.all} MB`]);
  return rows;
}

function dispatchRows(r: StoredResult): Row[] {
  const d = r.data as DispatchData;
  return [['Function Compute dispatch overhead per shard (local FC API, real handler)', `${signed(d.overheadMs.median, 0)} ms median, ${signed(d.overheadMs.p95, 0)} ms p95`, '']];
}

interface SimulateData {
  single: { wallMs: number };
  predictions: { best: { workers: number; wallMs: number; shardSeconds: number } }[];
  fc: { published: { singleMs: number; shardedMs: number }; model: { single: { wallMs: number }; sharded: { wallMs: number } } };
}

function simulateRows(r: StoredResult): Row[] {
  const d = r.data as SimulateData;
  const at = (w: number) => d.predictions.find((p) => p.best.workers === w)?.best;
  const points = [10, 100, 1000].map(at).filter((p): p is NonNullable<typeof p> => p !== undefined);
  return [
    [
      'model: 1-hour 1080p job, 1 worker → 10 / 100 / 1,000 workers',
      `${seconds(d.single.wallMs, 0)} → ${points.map((p) => `${seconds(p.wallMs, 0)} (${fixed(p.shardSeconds, 0)} s shards)`).join(' / ')}`,
      '',
    ],
    [
      'model vs the published FC chunking example (89 s of 4K, one worker → 5 s shards)',
      `${fixed(d.fc.model.single.wallMs / d.fc.model.sharded.wallMs, 1)} × faster (FC: ${fixed(d.fc.published.singleMs / d.fc.published.shardedMs, 1)} ×)`,
      '',
    ],
  ];
}

function ladderRows(r: StoredResult): Row[] {
  const d = r.data as LadderData;
  const c = d.clip;
  const n = d.rungs.length;
  const rounds = (min: number, max: number): string => (d.rounds.length > 1 ? `median of ${d.rounds.length} rounds, ${fixed(min, 3)} to ${fixed(max, 3)}` : 'one round');
  const s = d.sharedDecode.median;
  return [
    [
      `wall time, streaming ${n}-rung HLS ladder / plain ffmpeg's one-command ladder, ${c.seconds} s ${c.width}x${c.height}@${c.fps} (${d.shards} shards × ${n} rungs)`,
      `${fixed(d.ratio, 3)} (${rounds(d.ratioMin, d.ratioMax)})`,
      `≤ ${d.target}`,
    ],
    [`wall time, streaming ladder job / MP4 job of the same ${n} rungs`, `${fixed(d.mp4Ratio, 3)} (${rounds(d.mp4RatioMin, d.mp4RatioMax)})`, ''],
    ['ffmpeg CPU, streaming ladder job / one-command ladder', fixed(d.cpuRatio, 3), ''],
    [
      `best wall ratio the ladder job's ffmpeg CPU allows on ${r.machine.cores} cores (all busy from start to end)`,
      fixed(medianCpuFloor(d.rounds.map((x) => ({ plainMs: x.plainMs, jobCpuMs: x.streamCpuMs })), r.machine.cores).median, 3),
      `≤ ${d.target}`,
    ],
    [
      `one decode per shard for all ${n} rungs instead of one per rung (one ${d.sharedDecode.frames}-frame shard, ${d.sharedDecode.threads} thread${d.sharedDecode.threads === 1 ? '' : 's'})`,
      `${signed(-(1 - s.sharedCpuMs / s.perRungCpuMs) * 100, 1)} % ffmpeg CPU (${seconds(s.perRungCpuMs)} → ${seconds(s.sharedCpuMs)})`,
      '',
    ],
  ];
}

const HEADLINE: Record<string, (r: StoredResult) => Row[]> = {
  ladder: ladderRows,
  simulate: simulateRows,
  pipeline: pipelineRows,
  orchestration: orchestrationRows,
  quality: qualityRows,
  scaling: scalingRows,
  memory: memoryRows,
  'dispatch-overhead': dispatchRows,
};

/** "bench/results/2026-11-27-0551 (pipeline, quality, ...)" for each run folder the tables come from. */
function sources(results: StoredResult[]): string {
  const byFolder = new Map<string, string[]>();
  for (const r of results) byFolder.set(r.folder, [...(byFolder.get(r.folder) ?? []), r.scenario]);
  return [...byFolder].map(([folder, names]) => `\`${folder}\` (${names.join(', ')})`).join(', ');
}

function inOrder(latest: Map<string, StoredResult>): StoredResult[] {
  return PUBLISHED.map((name) => latest.get(name)).filter((r): r is StoredResult => r !== undefined);
}

/** The README's table: the few numbers that say how shardflow does, with their targets. */
export function headline(latest: Map<string, StoredResult>): string {
  const results = inOrder(latest);
  const rows = results.flatMap((r) => HEADLINE[r.scenario](r));
  return [table(['measure', 'result', 'target'], rows), '', `Generated by \`npm run bench:report\` from ${sources(results)}.`].join('\n');
}

/** Every scenario's tables, checks and notes, each with the run it comes from. */
export function details(latest: Map<string, StoredResult>): string {
  return inOrder(latest)
    .map((r) =>
      [
        renderScenario(r),
        '',
        `Measured ${r.ranAt.slice(0, 16).replace('T', ' ')} UTC by \`${r.command}\` (\`${r.folder}\`) on ${machineLine(r.machine)}.`,
      ].join('\n'),
    )
    .join('\n\n');
}
