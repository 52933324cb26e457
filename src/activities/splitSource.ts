// Plans the shards on the job's grid and, where the keyframes allow, stream-
// copies the video into keyframe-aligned shard files so no encoder has to seek
// far. A copy is kept only when every shard file holds exactly the source's
// packets at the source's times (up to one constant shift, which the encoders
// take back out); otherwise the encoders seek into the source.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SplitInput, SplitResult } from '../core/contracts';
import { invalidMedia } from '../core/errors';
import { gridFrameCount, parseTimeBase, rescalePts } from '../core/media/frameGrid';
import { parseRational, toNumber, type Rational } from '../core/media/rational';
import { capacityShardLengths, evenShardFrames, keyframeSnapSeconds, streamSegmentsPerShard } from '../core/media/shardLengths';
import { planShards, shardFileOffset, type ShardPlan } from '../core/media/shardPlan';
import type { PacketFacts } from '../core/media/videoTimeline';
import { runFfmpeg } from '../media/ffmpeg';
import { splitArgs } from '../media/ffmpegArgs';
import { scanPackets } from '../media/packetScan';
import { readTimeline, SEEK_MARGIN_SECONDS, seeksByIndex } from '../media/readTimeline';
import type { ActivityDeps } from './deps';
import { warnInActivity } from './activityContext';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import { mediaSlots } from './mediaSlots';
import { withSource } from './sourceAccess';
import { writeShardPlan } from './shardPlanStore';
import { recallTimeline, rememberTimeline, timelineKey } from './timelineMemo';
import { workArea } from './workArea';

/** The median spacing of the keyframes in seconds, or undefined with fewer than two. */
function keyframeInterval(keyframes: number[], tb: Rational): number | undefined {
  if (keyframes.length < 2) return undefined;
  const gaps = keyframes.slice(1).map((k, i) => k - keyframes[i]).sort((a, b) => a - b);
  return (gaps[Math.floor(gaps.length / 2)] * tb.num) / tb.den;
}

export function splitSource({ config, stores }: ActivityDeps) {
  return async function splitSource(input: SplitInput): Promise<SplitResult> {
    const plan = await planOf(input);
    const planUrl = workArea.plan(input.workUrl, randomUUID().slice(0, 8));
    await writeShardPlan(stores, planUrl, plan);
    return { mode: plan.mode, count: plan.shards.length, planUrl };
  };

  async function planOf(input: SplitInput): Promise<ShardPlan> {
    const store = stores.for(input.source);
    const work = stores.for(input.workUrl);
    const fps = parseRational(input.fps) ?? { num: 25, den: 1 };
    const tb = parseTimeBase(input.grid.timeBase);
    const object = await store.head(input.source);
    return withScratch(config.scratchDir, (scratch) =>
      withSource(store, input.source, scratch, (opened) => heartbeating(async (report) => {
        const file = opened.input;
        const key = timelineKey(object, input.videoStream);
        let timeline = recallTimeline(key);
        if (!timeline) {
          try {
            const source = { file, stream: input.videoStream, timeBase: input.grid.timeBase, formatStart: input.formatStart, indexedSeek: seeksByIndex(input.formatName) };
            timeline = await readTimeline(source, cancellationSignal());
          } catch (err) {
            throw mediaFailure('reading its video timeline', err, { url: input.source, file });
          }
          rememberTimeline(key, timeline);
        }
        if (timeline.frames[0] !== input.grid.startPts) {
          throw invalidMedia(input.source, 'its video changed since it was probed (the first frame moved); start a new job');
        }
        // An encoder seeks into a local file with an index, or a remote one by range, as cheaply as into a shard
        // file: the copy pass would only add a read and a write of the whole video.
        const indexedSeek = seeksByIndex(input.formatName);
        const byRange = opened.bytesRead() !== undefined;
        const copySplit = !byRange && !indexedSeek;
        const keyframeSeconds = keyframeInterval(timeline.keyframes, tb);
        // One server call at most, and none when the job set the shard length.
        let slotsAsked: Promise<number> | undefined;
        const slots = (): Promise<number> => (slotsAsked ??= mediaSlots(config.mediaConcurrency));
        const planned = input.shardFrames !== undefined
          ? { frames: input.shardFrames }
          : await defaultShardFrames(input, fps, copySplit, slots, byRange ? { keyframeSeconds } : undefined);
        const shardFrames = planned?.frames;
        const lengths = shardFrames !== undefined ? shardFrames / toNumber(fps) : input.segmentSeconds ?? capacityShardLengths({
          durationSeconds: ((input.grid.endPts - input.grid.startPts) * tb.num) / tb.den,
          slots: await slots(),
          keyframeSeconds,
        });
        const planFor = (copyable: boolean): ShardPlan =>
          planShards({
            timeline: { ...timeline, copyable: timeline.copyable && copyable },
            copySplit,
            indexedSeek,
            grid: input.grid,
            fps,
            segmentSeconds: lengths,
            formatStart: input.formatStart,
            seekMargin: SEEK_MARGIN_SECONDS,
            shardFrames,
            ...(planned?.snapSeconds !== undefined ? { keyframeSnapSeconds: planned.snapSeconds } : {}),
          });
        // Streaming and even shards are cut on the grid, not at the source's keyframes: encoders seek.
        if (shardFrames !== undefined) return planFor(false);
        const plan = planFor(true);
        if (plan.mode === 'range') return plan;

        const outDir = path.join(scratch, 'shards');
        await fs.mkdir(outDir);
        const cuts = plan.shards.slice(1).map((s) => (s.cutPts! * tb.num) / tb.den);
        const args = splitArgs({
          input: file,
          videoStreamIndex: input.videoStream,
          cuts,
          tolerance: 0.25 / toNumber(fps),
          outputPattern: path.join(outDir, '%06d.nut'),
          listFile: path.join(scratch, 'shards.csv'),
        });
        try {
          await runFfmpeg(args, { signal: cancellationSignal(), onProgress: report });
        } catch (err) {
          // Some codecs have no NUT mapping: seeking is slower but always right.
          warnInActivity('stream copy into shards failed; encoding ranges from the source instead', { error: (err as Error).message });
          return planFor(false);
        }
        const files = (await fs.readdir(outDir)).filter((f) => f.endsWith('.nut')).sort();
        const offsets = await shardOffsets(plan, files.map((f) => path.join(outDir, f)), timeline.packets, tb);
        if (!offsets) return planFor(false);
        for (let i = 0; i < files.length; i++) {
          plan.shards[i].offsetTicks = offsets[i];
          await work.putFile(workArea.sourceShard(input.workUrl, i), path.join(outDir, files[i]));
        }
        return plan;
      })),
    );
  }
}

/**
 * Frames per shard when the job set no shard length and the encoders seek into the source: for streaming,
 * whole segments; otherwise equal shards. Even shards of a source read by range (`remote`) also say how far
 * a cut may move to a keyframe near it, so no encoder fetches a GOP it drops; streaming cuts stay on the
 * segment grid. Undefined where the job set a length or the source is copy-split at its keyframes
 * (capacityShardLengths).
 */
async function defaultShardFrames(
  input: SplitInput,
  fps: Rational,
  copySplit: boolean,
  slots: () => Promise<number>,
  remote?: { keyframeSeconds?: number },
): Promise<{ frames: number; snapSeconds?: number } | undefined> {
  const frames = gridFrameCount(input.grid, fps);
  const segmentFrames = input.streamSegmentFrames;
  if (segmentFrames !== undefined) {
    const segments = Math.ceil(frames / segmentFrames);
    return { frames: segmentFrames * streamSegmentsPerShard({ segments, segmentSeconds: segmentFrames / toNumber(fps), slots: await slots() }) };
  }
  if (input.segmentSeconds !== undefined || copySplit) return undefined;
  const even = evenShardFrames({ frames, fps: toNumber(fps), slots: await slots(), keyframeSeconds: remote?.keyframeSeconds });
  return remote ? { frames: even, snapSeconds: keyframeSnapSeconds(even / toNumber(fps)) } : { frames: even };
}

/**
 * Each shard file's timestamp offset from the source, after checking that it holds exactly the source's packets
 * between its cut and the next one. Undefined (and a warning) when any shard differs: the muxer then cut elsewhere
 * or rewrote timestamps beyond a constant shift.
 */
async function shardOffsets(plan: ShardPlan, files: string[], packets: PacketFacts[], tb: Rational): Promise<number[] | undefined> {
  if (files.length !== plan.shards.length) {
    warnInActivity('split produced a different shard count; encoding ranges from the source instead', { expected: plan.shards.length, got: files.length });
    return undefined;
  }
  // Where each shard begins in decode order: its cut keyframe's packet.
  const keyAt = new Map<number, number>();
  packets.forEach((p, i) => {
    if (p.key && p.pts !== undefined && !keyAt.has(p.pts)) keyAt.set(p.pts, i);
  });
  const starts = plan.shards.map((s, i) => (i === 0 ? 0 : (keyAt.get(s.cutPts!) ?? -1)));
  const offsets: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const expected = packets.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : packets.length).map((p) => p.pts!);
    const scan = await scanPackets(files[i], 0, cancellationSignal());
    const fileTb = parseTimeBase(scan.timeBase || '1/1');
    const got = scan.packets.map((p) => (p.pts === undefined ? NaN : rescalePts(p.pts, fileTb, tb)));
    const offset = starts[i] < 0 ? undefined : shardFileOffset(expected, got);
    if (offset === undefined) {
      warnInActivity('a shard file does not hold the source packets at their times; encoding ranges from the source instead', { shard: i + 1 });
      return undefined;
    }
    offsets.push(offset);
  }
  return offsets;
}
