// The published view of the stored results: one headline table for the
// README, and every scenario's tables with where and how they were measured
// for docs/benchmarks.md. Built only from bench/results/, so the docs never
// carry a number the bench did not write.
import { fixed, machineLine, renderScenario, signed, seconds, table } from './report';
import type { StoredResult } from './results';
import { TARGET_1000_SHARDS_MS, TARGET_PEAK_RSS_MB, TARGET_PSNR_DELTA_DB, TARGET_WALL_RATIO } from './targets';

/** Scenarios in the order the docs show them. */
export const PUBLISHED = ['pipeline', 'orchestration', 'quality', 'scaling', 'memory', 'dispatch-overhead'];

// The parts of each scenario's data the headline reads.
interface PipelineData {
  pairs: { plainMs: number; pipelineMs: number }[];
  ratio: number;
  cpuRatio: number;
  transcodeRatio: number;
  breakdown: { phases: { label: string; start: number; end: number }[]; overheadMs: number; shardTasks: number };
}
interface OrchestrationData {
  runs: { shards: number; batchSize: number; wallMs: number }[];
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

function pipelineRows(r: StoredResult): Row[] {
  const d = r.data as PipelineData;
  const ratios = d.pairs.map((p) => p.pipelineMs / p.plainMs);
  const median = d.pairs[ratios.findIndex((x) => Math.abs(x - d.ratio) < 1e-12)] ?? d.pairs[0];
  const phase = (label: string): number => {
    const p = d.breakdown.phases.find((x) => x.label === label);
    return p ? p.end - p.start : 0;
  };
  const share = (...labels: string[]): string => `${fixed((labels.reduce((t, l) => t + phase(l), 0) / median.pipelineMs) * 100, 1)} %`;
  // "(60 s 1920x1080@30, 837 MiB source, x264 veryfast crf 23 + AAC 128k, 2 media slots)"
  const setup = /\((.*)\)/.exec(r.title)?.[1] ?? '';
  const spread = d.pairs.length > 1 ? `median of ${d.pairs.length} pairs, ${fixed(Math.min(...ratios), 3)} to ${fixed(Math.max(...ratios), 3)}` : 'one pair';
  return [
    [`wall time, shardflow / plain ffmpeg (${setup})`, `${fixed(d.ratio, 3)} (${spread})`, `≤ ${TARGET_WALL_RATIO}`],
    ['ffmpeg CPU, shardflow / plain', fixed(d.cpuRatio, 3), ''],
    ['parallel encode phase alone / plain', fixed(d.transcodeRatio, 3), ''],
    ['stages outside the parallel encode, share of the job', `probe ${share('probe')}, split ${share('split')}, merge ${share('merge')}, verify + publish + clean ${share('verify', 'publish', 'clean')}`, ''],
    ['orchestration overhead', `${seconds(d.breakdown.overheadMs, 2)} per job, ${fixed(d.breakdown.overheadMs / Math.max(1, d.breakdown.shardTasks), 0)} ms per shard`, ''],
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
  return [
    ['1,000 no-op shards through the dev server', at(1000), `≤ ${seconds(TARGET_1000_SHARDS_MS, 0)}`],
    ['5,000 no-op shards', at(5000), ''],
  ];
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
    [`PSNR vs single-pass at the same CRF, ${lengths}`, `${each((v) => signed(v.quality.psnr - single.quality.psnr, 3))} dB`, `within ${TARGET_PSNR_DELTA_DB} dB`],
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
  const target = `< ${TARGET_PEAK_RSS_MB} MB`;
  const rows: Row[] = [];
  if (media) rows.push([`worker peak RSS, ${source}, media role alone`, `${fixed(media.jobPeakMb, 0)} MB`, target]);
  if (all) rows.push([`worker peak RSS, ${source}, workflows + media in one process`, `${fixed(all.jobPeakMb, 0)} MB (idle before the job: ${fixed(all.idleMb, 0)} MB)`, target]);
  return rows;
}

function dispatchRows(r: StoredResult): Row[] {
  const d = r.data as DispatchData;
  return [['Function Compute dispatch overhead per shard (local FC API, real handler)', `${signed(d.overheadMs.median, 0)} ms median, ${signed(d.overheadMs.p95, 0)} ms p95`, '']];
}

const HEADLINE: Record<string, (r: StoredResult) => Row[]> = {
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
