// ffmpeg arguments for one shard of a streaming ladder: the shard's frames are
// decoded and picked off the job's grid once, scaled down the ladder rung by
// rung (rungScales), then each rung has its own encoder and CMAF muxer. Each
// rung gets the frames, encoder, keyframes and muxer options a shard task of
// its own would give it, for one decode instead of one per rung; only a rung
// scaled from a smaller picture than the source differs, by that rescale.
import type { RenditionSpec } from '../core/job/rendition';
import { cmafOutputArgs, videoCutAfterSeconds } from './cmafArgs';
import {
  decodedListGraph,
  decodedListOutput,
  gridPickFilters,
  shardInputArgs,
  shardVideoOutputArgs,
  watermarked,
  watermarkInputArgs,
  type EncodeShardInput,
} from './ffmpegArgs';
import { rungScales } from './rungScales';
import { shardThumbnailOutputs, type ShardThumbnails } from './thumbnailArgs';
import { parseRational } from '../core/media/rational';

/** One shard of a streaming job, as every rung's encode shares it. */
export type ShardFrames = Omit<EncodeShardInput, 'rendition' | 'output' | 'segments' | 'thumbnails'>;

/** What one rung of the shard writes. */
export interface ShardRungOutput {
  rendition: RenditionSpec;
  /** Folder the rung's init segment, media segments and scratch playlist go to. */
  output: string;
  /** The thumbnail rung: its tiles and poster, from the frames its encoder gets. */
  thumbnails?: ShardThumbnails;
}

/** `split=3[p0][p1][p2]` and the labels it names. */
export function splitInto(n: number, prefix: string): { filter: string; labels: string[] } {
  const labels = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return { filter: `split=${n}${labels.map((l) => `[${l}]`).join('')}`, labels };
}

/**
 * All rungs of one shard from one ffmpeg. The decoded frames are listed once (the exactness check), picked off
 * the grid once, then split to every rung; each rung's branch draws the watermark after scaling, as a shard task
 * of that rung does, and the thumbnail rung's branch also feeds the tiles and the poster.
 */
export function sharedDecodeShardArgs(s: ShardFrames, rungs: ShardRungOutput[], segmentFrames: number): string[] {
  const fps = parseRational(s.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${s.fps}`);
  const frames = s.endSlot - s.startSlot;
  if (frames <= 0) throw new Error(`internal: shard slots ${s.startSlot}..${s.endSlot} hold no frame`);
  if (rungs.filter((r) => r.thumbnails).length > 1) throw new Error('internal: only one rung of a shard writes thumbnails');
  const scaled = rungScales('picked', s.geometry, rungs.map((r) => r.rendition));
  const marks = splitInto(rungs.length, 'mark');
  const branches = rungs.map((r, i) => {
    const picture = `[${scaled.labels[i]}]${watermarked('null', s.watermark, marks.labels[i], `base${i}`)},format=yuv420p`;
    const tap = r.thumbnails && shardThumbnailOutputs(r.thumbnails, 'tapped');
    return tap ? `${picture},split=2[v${i}][tapped];${tap.graph}` : `${picture}[v${i}]`;
  });
  const graph = [
    decodedListGraph(s),
    ...(s.watermark?.imageFile ? [`[1:v]format=rgba,${marks.filter}`] : []),
    `[decoded]${gridPickFilters(s).join(',')}[picked]`,
    ...scaled.chains,
    ...branches,
  ].join(';');
  const outputs = rungs.flatMap((r, i) => [
    ...shardVideoOutputArgs(`[v${i}]`, { frames, video: r.rendition.video, fps: s.fps, threads: s.threads, segmentFrames }),
    ...cmafOutputArgs({ dir: r.output, cutAfterSeconds: videoCutAfterSeconds(segmentFrames, fps), firstNumber: Math.floor(s.startSlot / segmentFrames) }),
  ]);
  const thumbnailOutputs = rungs.flatMap((r) => (r.thumbnails && shardThumbnailOutputs(r.thumbnails, 'tapped')?.outputs) || []);
  return [
    ...shardInputArgs(s), ...watermarkInputArgs(s.watermark), '-filter_complex', graph, ...outputs,
    ...decodedListOutput(s.check.file), ...thumbnailOutputs,
  ];
}
