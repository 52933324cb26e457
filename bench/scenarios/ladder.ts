// Scenario: a streaming job's HLS ladder against plain ffmpeg making the same
// ladder in one command (one decode, split + scale, one x264 per rung), and
// against the MP4 job of the same rungs, in rounds of alternating order. Every
// output's frames are counted per rung with ffprobe, so a broken run cannot
// look fast. Then where the streaming job's time goes: its stages from the
// workflow history, and what its one decode per shard for all rungs saves
// against one ffmpeg per rung, measured on one shard of the same clip.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultStreamThreads } from '../../src/config';
import type { RenditionRequest } from '../../src/core/job/jobInput';
import { PRESETS } from '../../src/core/job/presets';
import { DEFAULT_STREAM_SEGMENT_SECONDS, ladderFor, rungRendition, segmentFrames, STREAM_AUDIO, type StreamFormat } from '../../src/core/job/streamPackage';
import type { RenditionSpec } from '../../src/core/job/rendition';
import type { Rational } from '../../src/core/media/rational';
import { encodeShardArgs, outputSize } from '../../src/media/ffmpegArgs';
import { sharedDecodeShardArgs, type ShardFrames } from '../../src/media/sharedDecodeArgs';
import { mainClip, mainClipSpec, MEDIA_SLOTS, type BenchContext } from '../context';
import type { JobRun } from '../harness';
import { decodeOnlyShardArgs, plainLadderArgs } from '../ladderArgs';
import { cpuFloorRatio } from '../cpuFloor';
import { median } from '../median';
import { ffmpeg, makeClip, probe, run as runTool, timed, type Timed } from '../media';
import { fixed, seconds, table, type Check, type ScenarioResult } from '../report';
import { TARGET_LADDER_WALL_RATIO } from '../targets';
import { phaseMs, stageBreakdown, type StageBreakdown } from './pipeline';

/** The CLI's `--package hls`: the ladder is benchmarked as HLS, as plain ffmpeg writes it. */
const FORMATS: StreamFormat[] = ['hls'];
/** Threads of one shard task's ffmpeg: the workers' default with MEDIA_SLOTS slots on this machine. */
const TASK_THREADS = defaultStreamThreads(os.availableParallelism(), MEDIA_SLOTS);

/** One round: plain ffmpeg's ladder, the streaming job and the MP4 job, in this order or its reverse. */
export interface LadderRound {
  order: 'plain first' | 'shardflow first';
  plainMs: number;
  streamMs: number;
  mp4Ms: number;
  /** ffmpeg CPU (children reaped by this process), ms. */
  plainCpuMs: number;
  streamCpuMs: number;
  mp4CpuMs: number;
  load: number;
}

/** One shard encoded for every rung: one ffmpeg per rung (what the shard tasks do) vs one ffmpeg for all rungs. */
export interface SharedDecodeRound {
  perRungMs: number;
  perRungCpuMs: number;
  sharedMs: number;
  sharedCpuMs: number;
  /** Decoding the shard and picking its frames once, no encode. */
  decodeCpuMs: number;
}

export interface LadderData {
  clip: ReturnType<typeof mainClipSpec>;
  rungs: { name: string; width: number; height: number; maxBitrate?: string }[];
  segmentFrames: number;
  shardFrames: number;
  shards: number;
  rounds: LadderRound[];
  /** Median round's streaming / plain wall time, the spread, the ratio of the sums. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  ratioOfSums: number;
  /** The same round's streaming / MP4 job wall time, and over all rounds the lowest and highest. */
  mp4Ratio: number;
  mp4RatioMin: number;
  mp4RatioMax: number;
  /** ffmpeg CPU over all rounds. */
  cpuRatio: number;
  mp4CpuRatio: number;
  target: number;
  /** The median round's streaming job. */
  breakdown: StageBreakdown;
  /** Decoding the whole source once with one thread, ffmpeg CPU ms. */
  sourceDecodeCpuMs: number;
  sharedDecode: { shard: number; frames: number; threads: number; rounds: SharedDecodeRound[]; median: SharedDecodeRound };
  /** Frames counted by ffprobe, per output and rung, in the last round. */
  frames: { output: string; rung: string; frames: number }[];
}

export async function ladderScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const spec = mainClipSpec(ctx.quick);
  ctx.log(`generating the ${spec.seconds} s ${spec.width}x${spec.height} clip (cached between runs)`);
  const source = await mainClip(ctx);
  const facts = await probe(source);
  const stream = await videoTimebase(source);
  const fps: Rational = { num: spec.fps, den: 1 };
  const geometry = { width: spec.width, height: spec.height, rotation: 0 };
  // The quick clip is 360 lines: its ladder is that and two smaller rungs.
  const heights = ladderFor({ formats: FORMATS, ladder: ctx.quick ? [360, 240, 180] : [1080, 720, 480, 360], segmentSeconds: DEFAULT_STREAM_SEGMENT_SECONDS }, Math.min(spec.width, spec.height));
  const rungs = heights.map((h) => rungRendition(h));
  const perSegment = segmentFrames(DEFAULT_STREAM_SEGMENT_SECONDS, fps);
  const totalFrames = spec.seconds * spec.fps;
  const mp4Renditions = heights.map(mp4Rung);
  const checks: Check[] = [];

  const workers = await ctx.pipelineWorkers();
  // Warm the workers (workflow bundle, connections) on a tiny streaming job, as a long-running worker would be.
  const warm = await makeClip(ctx.clips, { seconds: 2, width: 320, height: 180, fps: 30, gop: 30, crf: 23 });
  await workers.run({ source: `file://${warm}`, output: `file://${ctx.tmp}/ladder-warmup/`, package: FORMATS, ladder: [180] });

  const rounds: LadderRound[] = [];
  const streamRuns: JobRun[] = [];
  let frames: LadderData['frames'] = [];
  for (let r = 0; r < ctx.repeat; r++) {
    const dir = path.join(ctx.tmp, `ladder-${r}`);
    await fs.mkdir(dir, { recursive: true });
    const plainFirst = r % 2 === 0;
    const runPlain = (): Promise<Timed<unknown>> =>
      timed(() => ffmpeg(plainLadderArgs({ source, outDir: path.join(dir, 'plain'), rungs, geometry, fps, segmentFrames: perSegment, audioBitrate: facts.audio ? STREAM_AUDIO.audio.bitrate : undefined })));
    const runStream = (): Promise<JobRun> => workers.run({ source: `file://${source}`, output: `file://${dir}/stream/`, package: FORMATS, ladder: heights });
    const runMp4 = (): Promise<JobRun> => workers.run({ source: `file://${source}`, output: `file://${dir}/mp4/`, renditions: mp4Renditions });
    // The streaming job runs between the other two; plain ffmpeg and the MP4 job swap ends every round.
    ctx.log(`ladder round ${r + 1} of ${ctx.repeat} (${plainFirst ? 'plain, streaming, MP4' : 'MP4, streaming, plain'})`);
    const mp4Early = plainFirst ? undefined : await runMp4();
    const plainEarly = plainFirst ? await runPlain() : undefined;
    const job = await runStream();
    const plain = plainEarly ?? (await runPlain());
    const mp4 = mp4Early ?? (await runMp4());
    rounds.push({
      order: plainFirst ? 'plain first' : 'shardflow first', plainMs: plain.wallMs, streamMs: job.wallMs, mp4Ms: mp4.wallMs,
      plainCpuMs: plain.cpu.childrenMs, streamCpuMs: job.cpu.childrenMs, mp4CpuMs: mp4.cpu.childrenMs, load: os.loadavg()[0],
    });
    streamRuns.push(job);
    frames = await countFrames(dir, rungs, mp4Renditions);
    for (const f of frames) {
      if (f.frames !== totalFrames) checks.push({ name: `ladder round ${r + 1}: ${f.output} ${f.rung} frames`, ok: false, detail: `${f.frames} frames, the source has ${totalFrames}` });
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
  checks.push({
    name: 'ladder outputs hold every frame', ok: checks.length === 0,
    detail: checks.length === 0 ? `${frames.length} outputs × ${ctx.repeat} rounds, ${totalFrames} frames each (ffprobe)` : `${checks.length} short or long outputs`,
  });

  ctx.log('ladder: decoding the whole source once, then one shard per rung vs all rungs from one decode');
  const sourceDecode = await timed(() => ffmpeg(['-threads', '1', '-i', source, '-map', '0:v:0', '-c:v', 'wrapped_avframe', '-f', 'null', '-']));
  // A shard as long as the streaming job's: equal runs of whole segments, the last one shorter.
  const segments = Math.ceil(totalFrames / perSegment);
  const shardFrames = perSegment * Math.ceil(segments / streamRuns[0]!.result.shards);
  const shardIndex = totalFrames >= 3 * shardFrames ? 1 : 0;
  const startSlot = shardIndex * shardFrames;
  const endSlot = Math.min(totalFrames, startSlot + shardFrames);
  const shard: ShardFrames = {
    input: source,
    // The shard starts on a source keyframe (every 2 s): an indexed seek lands on it, as the shard plan's does.
    seekSeconds: startSlot > 0 ? startSlot / spec.fps + 0.001 : undefined,
    videoStream: stream.index,
    timeBase: stream.timeBase,
    originPts: stream.startPts,
    fps: `${fps.num}/${fps.den}`,
    startSlot,
    endSlot,
    check: { fromPts: stream.startPts + ticks(startSlot, spec.fps, stream.timeBase), toPts: stream.startPts + ticks(endSlot, spec.fps, stream.timeBase), file: '' },
    geometry,
    threads: TASK_THREADS,
  };
  const sharedRounds: SharedDecodeRound[] = [];
  for (let r = 0; r < ctx.repeat; r++) {
    const dir = path.join(ctx.tmp, `ladder-shard-${r}`);
    const perRung = async (): Promise<{ wallMs: number; cpuMs: number }> => {
      let wallMs = 0;
      let cpuMs = 0;
      for (const rendition of rungs) {
        const out = path.join(dir, 'per-rung', rendition.name);
        await fs.mkdir(out, { recursive: true });
        const segments = { segmentFrames: perSegment, firstNumber: Math.floor(startSlot / perSegment) };
        const t = await timed(() => ffmpeg(encodeShardArgs({ ...shard, check: { ...shard.check, file: path.join(out, 'decoded.framecrc') }, rendition, output: out, segments })));
        wallMs += t.wallMs;
        cpuMs += t.cpu.childrenMs;
      }
      return { wallMs, cpuMs };
    };
    const shared = async (): Promise<Timed<unknown>> => {
      const outs = rungs.map((rendition) => ({ rendition, output: path.join(dir, 'shared', rendition.name) }));
      for (const o of outs) await fs.mkdir(o.output, { recursive: true });
      return timed(() => ffmpeg(sharedDecodeShardArgs({ ...shard, check: { ...shard.check, file: path.join(dir, 'shared', 'decoded.framecrc') } }, outs, perSegment)));
    };
    const a = r % 2 === 0 ? await perRung() : undefined;
    const s = await shared();
    const b = a ?? (await perRung());
    const decode = await timed(() => ffmpeg(decodeOnlyShardArgs(shard)));
    sharedRounds.push({ perRungMs: b.wallMs, perRungCpuMs: b.cpuMs, sharedMs: s.wallMs, sharedCpuMs: s.cpu.childrenMs, decodeCpuMs: decode.cpu.childrenMs });
    for (const way of ['per-rung', 'shared']) {
      for (const rendition of rungs) {
        const got = (await probe(path.join(dir, way, rendition.name, 'muxer.m3u8'))).video?.packets ?? 0;
        if (got !== endSlot - startSlot) checks.push({ name: `shard ${shardIndex + 1} ${way} ${rendition.name} frames`, ok: false, detail: `${got} frames, the shard has ${endSlot - startSlot}` });
      }
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  // The median round: one round hit by a burst of load elsewhere moves it least.
  const mid = median(rounds, (x) => x.streamMs / x.plainMs);
  const midRun = streamRuns[rounds.indexOf(mid)];
  const breakdown = stageBreakdown(midRun.history.spans, midRun.history.startedAt, midRun.history.closedAt, midRun.wallMs, MEDIA_SLOTS);
  const sum = (k: keyof Omit<LadderRound, 'order'>): number => rounds.reduce((t, x) => t + x[k], 0);
  const ratios = rounds.map((x) => x.streamMs / x.plainMs);
  const mp4Ratios = rounds.map((x) => x.streamMs / x.mp4Ms);
  const sharedMid = median(sharedRounds, (x) => x.sharedCpuMs / x.perRungCpuMs);
  const data: LadderData = {
    clip: spec,
    rungs: rungs.map((r) => ({ name: r.name, ...outputSize(geometry, r.video), maxBitrate: r.video.maxBitrate })),
    segmentFrames: perSegment,
    shardFrames,
    shards: midRun.result.shards,
    rounds,
    ratio: mid.streamMs / mid.plainMs,
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    ratioOfSums: sum('streamMs') / sum('plainMs'),
    mp4Ratio: mid.streamMs / mid.mp4Ms,
    mp4RatioMin: Math.min(...mp4Ratios),
    mp4RatioMax: Math.max(...mp4Ratios),
    cpuRatio: sum('streamCpuMs') / sum('plainCpuMs'),
    mp4CpuRatio: sum('streamCpuMs') / sum('mp4CpuMs'),
    target: TARGET_LADDER_WALL_RATIO,
    breakdown,
    sourceDecodeCpuMs: sourceDecode.cpu.childrenMs,
    sharedDecode: { shard: shardIndex + 1, frames: endSlot - startSlot, threads: TASK_THREADS, rounds: sharedRounds, median: sharedMid },
    frames,
  };
  return {
    name: 'ladder',
    title: ladderTitle(data),
    table: ladderTables(data),
    notes: ladderNotes(data),
    checks,
    data: data as unknown as Record<string, unknown>,
    elapsedMs: performance.now() - t0,
  };
}

export function ladderTitle(d: LadderData): string {
  const c = d.clip;
  return (
    `8. Streaming ladder vs plain ffmpeg's one-command ladder (${c.seconds} s ${c.width}x${c.height}@${c.fps}, HLS fMP4, rungs ${d.rungs.map((r) => r.name).join(' / ')}, ` +
    `x264 veryfast crf 23 capped, no B-frames, ${seconds((d.segmentFrames / c.fps) * 1000, 0)} segments, AAC 128k once, ${MEDIA_SLOTS} media slots)`
  );
}

/** The scenario's tables, from its data alone (the docs print them from stored results). */
export function ladderTables(d: LadderData): string {
  const mid = median(d.rounds, (x) => x.streamMs / x.plainMs);
  const spread = d.rounds.length > 1 ? `${fixed(d.ratioMin, 3)} to ${fixed(d.ratioMax, 3)}` : 'one round';
  const mp4Spread = d.rounds.length > 1 ? `${fixed(d.mp4RatioMin, 3)} to ${fixed(d.mp4RatioMax, 3)}` : 'one round';
  const summary = table(
    ['', 'plain ffmpeg, one command', 'streaming job', 'MP4 job, same rungs', 'streaming / plain, median round', 'spread', 'ratio of sums', 'streaming / MP4 job', 'target'],
    [[
      `${d.clip.seconds} s, ${d.shards} shards × ${d.rungs.length} rungs`, seconds(mid.plainMs), seconds(mid.streamMs), seconds(mid.mp4Ms), `**${fixed(d.ratio, 3)}**`, spread,
      fixed(d.ratioOfSums, 3), `${fixed(d.mp4Ratio, 3)} (${mp4Spread})`, `≤ ${d.target}${d.ratio > d.target ? ' (missed)' : ''}`,
    ]],
  );
  const perRound = table(
    ['', 'order', 'plain ffmpeg', 'streaming job', 'MP4 job', 'streaming / plain', 'ffmpeg CPU: plain / streaming / MP4', 'load avg'],
    d.rounds.map((x, i) => [
      `round ${i + 1}`, x.order, seconds(x.plainMs), seconds(x.streamMs), seconds(x.mp4Ms), fixed(x.streamMs / x.plainMs, 3),
      `${seconds(x.plainCpuMs)} / ${seconds(x.streamCpuMs)} / ${seconds(x.mp4CpuMs)}`, fixed(x.load, 1),
    ]),
  );
  const b = d.breakdown;
  const wall = mid.streamMs;
  const row = (label: string, ms: number, note = ''): string[] => [label, seconds(ms), fixed(ms / mid.plainMs, 3), `${fixed((ms / wall) * 100, 1)} %`, note];
  const serial = ['prepare', 'probe', 'split', 'package', 'verify', 'publish', 'clean'].reduce((t, l) => t + phaseMs(b, l), 0);
  const stages = table(['stage', 'time', '÷ plain ffmpeg wall', 'share of streaming wall', ''], [
    row('probe', phaseMs(b, 'probe')),
    row('split (plan on the segment grid)', phaseMs(b, 'split')),
    row(
      `transcode: ${b.shardTasks} shard tasks (all ${d.rungs.length} rungs each) on ${MEDIA_SLOTS} slots, audio beside them`, phaseMs(b, 'transcode'),
      `task ${seconds(b.encodeMs.mean)} mean (${seconds(b.encodeMs.min)}–${seconds(b.encodeMs.max)}), audio ${seconds(b.audioMs)}`,
    ),
    row('package (playlists)', phaseMs(b, 'package')),
    row('verify + publish + clean', phaseMs(b, 'verify') + phaseMs(b, 'publish') + phaseMs(b, 'clean')),
    row('**all stages outside the parallel encode**', serial),
    row('orchestration overhead', b.overheadMs, `${fixed(b.overheadMs / Math.max(1, b.shardTasks), 0)} ms per task`),
  ]);
  const s = d.sharedDecode.median;
  const rungsN = d.rungs.length;
  const decodes = table(['', 'ffmpeg CPU', 'wall', ''], [
    [`whole source decoded once (1 thread)`, seconds(d.sourceDecodeCpuMs), '', `plain ffmpeg decodes it once: ${fixed((d.sourceDecodeCpuMs / (d.rounds.reduce((t, x) => t + x.plainCpuMs, 0) / d.rounds.length)) * 100, 1)} % of its CPU`],
    [
      `… once per rung (${rungsN} ×), as one task per shard × rung would decode it`, seconds(rungsN * d.sourceDecodeCpuMs), '',
      `${fixed(((rungsN * d.sourceDecodeCpuMs) / (d.rounds.reduce((t, x) => t + x.streamCpuMs, 0) / d.rounds.length)) * 100, 1)} % of the streaming job's ffmpeg CPU`,
    ],
    [
      `shard ${d.sharedDecode.shard} (${d.sharedDecode.frames} frames): decode and pick its frames, no encode`, seconds(s.decodeCpuMs), '',
      `${rungsN} × this is ${fixed(((s.decodeCpuMs * rungsN) / s.perRungCpuMs) * 100, 1)} % of the per-rung tasks' CPU`,
    ],
    [`shard ${d.sharedDecode.shard}: ${rungsN} ffmpeg, one per rung (${d.sharedDecode.threads} thread${d.sharedDecode.threads === 1 ? '' : 's'} each)`, seconds(s.perRungCpuMs), seconds(s.perRungMs), ''],
    [
      `shard ${d.sharedDecode.shard}: one ffmpeg, one decode split to ${rungsN} encoders (the shard task)`, seconds(s.sharedCpuMs), seconds(s.sharedMs),
      `**${fixed((1 - s.sharedCpuMs / s.perRungCpuMs) * 100, 1)} % less CPU** (median of ${d.sharedDecode.rounds.length})`,
    ],
  ]);
  const counted = ['plain ffmpeg', 'streaming job', 'MP4 job']
    .map((o) => `${o} ${d.frames.filter((f) => f.output === o).map((f) => f.frames).join(' / ')}`)
    .join('; ');
  return [
    summary, '', `Frames per rung, highest first, counted by ffprobe in the last round: ${counted}.`, '', 'Round by round:', '', perRound, '',
    `Where the streaming job's time goes (median round, wall ${seconds(wall)}, plain ffmpeg ${seconds(mid.plainMs)}):`, '', stages, '',
    'Decode vs encode: each shard task decodes its stretch of the source once for all rungs, as plain ffmpeg decodes the whole source once:', '', decodes,
  ].join('\n');
}

export function ladderNotes(d: LadderData): string[] {
  const notes: string[] = [];
  const mid = median(d.rounds, (x) => x.streamMs / x.plainMs);
  if (d.ratio > d.target) {
    notes.push(
      `streaming / plain ${fixed(d.ratio, 3)} is above the ${d.target} target: in the median round the streaming job took ${seconds(mid.streamMs - mid.plainMs)} more; ` +
        `its parallel encode ran at ${fixed(phaseMs(d.breakdown, 'transcode') / mid.plainMs, 3)} × plain and its ffmpeg CPU at ${fixed(d.cpuRatio, 3)} × plain; ` +
        `that CPU on all ${os.availableParallelism()} cores with none idle would take ${fixed(cpuFloorRatio({ plainMs: mid.plainMs, jobCpuMs: mid.streamCpuMs }, os.availableParallelism()), 3)} × plain`,
    );
  }
  const s = d.sharedDecode.median;
  notes.push(
    `the shard tasks' one decode shared by all ${d.rungs.length} rungs takes ${fixed((1 - s.sharedCpuMs / s.perRungCpuMs) * 100, 1)} % less ffmpeg CPU than one ffmpeg per rung ` +
      `(shard ${d.sharedDecode.shard}: ${seconds(s.perRungCpuMs)} → ${seconds(s.sharedCpuMs)})`,
  );
  const load = Math.max(...d.rounds.map((x) => x.load));
  if (load > os.availableParallelism()) {
    notes.push(`machine loaded during the run (1-min load average up to ${fixed(load, 1)} on ${os.availableParallelism()} cores): wall times are noisy, the CPU ratios less so`);
  }
  notes.push('the MP4 job encodes AAC per rendition (the presets\' 160k/128k/96k/64k), with B-frames and no rate cap; the streaming job and plain ffmpeg encode AAC 128k once');
  return notes;
}

/** The MP4 rendition of a rung: the mp4-<height>p preset where there is one, else the same settings at that height. */
function mp4Rung(height: number): RenditionRequest {
  const name = `mp4-${height}p`;
  if (PRESETS[name]) return name;
  const base = PRESETS['mp4-360p'];
  return { ...base, name, video: { ...base.video, height } };
}

/** Frames of every output, per rung, counted by ffprobe (the HLS playlists through its HLS demuxer). */
async function countFrames(dir: string, rungs: RenditionSpec[], mp4: RenditionRequest[]): Promise<LadderData['frames']> {
  const out: LadderData['frames'] = [];
  for (const r of rungs) {
    out.push({ output: 'plain ffmpeg', rung: r.name, frames: (await probe(path.join(dir, 'plain', r.name, 'index.m3u8'))).video?.packets ?? 0 });
    out.push({ output: 'streaming job', rung: r.name, frames: (await probe(path.join(dir, 'stream', r.name, 'index.m3u8'))).video?.packets ?? 0 });
  }
  for (const m of mp4) {
    const name = typeof m === 'string' ? m : (m.name ?? '?');
    out.push({ output: 'MP4 job', rung: name, frames: (await probe(path.join(dir, 'mp4', `${name}.mp4`))).video?.packets ?? 0 });
  }
  return out;
}

async function videoTimebase(file: string): Promise<{ index: number; timeBase: string; startPts: number }> {
  const { stdout } = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=index,time_base,start_pts', '-of', 'json', file]);
  const s = (JSON.parse(stdout.toString('utf8')) as { streams: { index: number; time_base: string; start_pts: number }[] }).streams[0];
  return { index: s.index, timeBase: s.time_base, startPts: Number(s.start_pts) };
}

/** Grid slot `slot` at `fps` in ticks of `timeBase` (exact for the bench's whole-number rates). */
function ticks(slot: number, fps: number, timeBase: string): number {
  const [num, den] = timeBase.split('/').map(Number);
  return Math.round((slot * den) / (fps * num));
}
