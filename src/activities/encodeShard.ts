// Encodes one shard of one rendition: exactly the frames the shard owns on
// the output grid, upright, scaled, at a constant rate. A streaming shard task
// encodes every rung of the ladder from one decode, each into its own segments.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SCRATCH_PLAYLIST } from '../media/cmafArgs';
import { runFfmpeg } from '../media/ffmpeg';
import { encodeShardArgs, type WatermarkFiles } from '../media/ffmpegArgs';
import { sharedDecodeShardArgs, type ShardFrames, type ShardRungOutput } from '../media/sharedDecodeArgs';
import { inspectOutput, videoStreamOf } from '../media/inspect';
import { invalidMedia } from '../core/errors';
import { gridSeconds, gridTicksCeil, slotAt } from '../core/media/frameGrid';
import { parseRational, toNumber, type Rational } from '../core/media/rational';
import { shardSlots, type ShardSpec } from '../core/media/shardPlan';
import { renditionFrameRate } from '../core/job/frameRate';
import type { RenditionSpec } from '../core/job/rendition';
import type { Stores } from '../storage/stores';
import type { ActivityDeps } from './deps';
import { warnInActivity } from './activityContext';
import { cancellationSignal, heartbeating, mediaFailure, whileHeartbeating, withAttempt, withScratch } from './activityKit';
import { checkFailpoint } from './failpoints';
import { workerMetrics } from './metrics';
import type { EncodeShardInput, EncodeShardResult, ShardCommon } from '../core/contracts';
import { withSource } from './sourceAccess';
import { shardSpecAt } from './shardPlanStore';
import { storeShardSegments } from './shardSegments';
import { shardThumbnails, storeShardThumbnails } from './shardThumbnails';
import { workArea } from './workArea';

/** A shard task with its spec at hand. */
type ShardTaskInput = EncodeShardInput & { shard: ShardSpec };

export function encodeShard({ config, stores }: ActivityDeps) {
  return async function encodeShard(input: EncodeShardInput): Promise<EncodeShardResult> {
    const rungs = input.rungs ?? [input.rendition];
    try {
      // A failpoint on any rung of a streaming task fails the task, which encodes them all.
      for (const r of rungs) checkFailpoint('transcode', { shard: input.index + 1, rendition: r.name });
      const shard = input.shard ?? (await shardSpecAt(stores, input.common.planUrl, input.index, config.scratchDir));
      const result = await encode({ ...input, shard }, rungs);
      for (const r of rungs) workerMetrics.shardDone(r.name);
      return result;
    } catch (err) {
      for (const r of rungs) workerMetrics.shardFailed(r.name);
      throw withAttempt(err);
    }
  };

  /** Encodes the shard for `rungs`: one rendition (a file), or every rung of a streaming ladder from one decode. */
  async function encode(input: ShardTaskInput, rungs: RenditionSpec[]): Promise<EncodeShardResult> {
    const { common, rendition, index } = input;
    const segmentFrames = common.segmentFrames;
    if (segmentFrames === undefined && rungs.length !== 1) throw new Error(`internal: shard ${index + 1} of a file job asks for ${rungs.length} renditions in one task`);
    const rate = renditionFrameRate(rendition, common.fps);
    const otherRate = rungs.find((r) => renditionFrameRate(r, common.fps) !== rate);
    if (otherRate) throw new Error(`internal: rung ${otherRate.name} of shard ${index + 1} runs at another rate than ${rendition.name}; one decode feeds rungs of one rate`);
    const fps = parseRational(rate) ?? { num: 25, den: 1 };
    const { startSlot, endSlot } = shardSlots(input.shard, fps);
    const frames = endSlot - startSlot;
    // A rendition slower than the source can leave a short shard without a frame of its own.
    if (frames === 0) return { frames, reused: false };
    const target = workArea.videoShard(common.workUrl, rendition.name, index);
    const work = stores.for(common.workUrl);
    const whatOf = (names: string): string => `shard ${index + 1}/${input.count} of ${names}`;

    return withScratch(config.scratchDir, async (scratch) => {
      // A retry after a crash finds the shard already stored (puts are atomic): keep it. Streaming shards are
      // many files and are simply written again.
      if (segmentFrames === undefined && (await work.exists(target))) {
        const stored = await work.localPath(target, scratch);
        const have = videoStreamOf(await inspectOutput(stored))?.packets;
        if (have === frames) return { frames, reused: true };
      }
      const watermark = await watermarkFiles(common, stores, scratch);
      // Streaming: every rung writes its segments to a folder of its own; the thumbnail rung also writes the tiles.
      const ladder: ShardRungOutput[] | undefined =
        segmentFrames === undefined
          ? undefined
          : await Promise.all(
              rungs.map(async (r) => {
                const output = path.join(scratch, 'segments', r.name);
                await fs.mkdir(output, { recursive: true });
                return { rendition: r, output, thumbnails: await shardThumbnails(common.thumbnails, r, common.geometry, { startSlot, endSlot }, scratch) };
              }),
            );
      const out = path.join(scratch, `shard.${target.split('.').pop()}`);
      const list = path.join(scratch, 'decoded.framecrc');
      const what = whatOf(rungs.map((r) => r.name).join(', '));
      const shard = input.shard;
      /** Bytes of a remote source read by range, over every attempt at this shard in this activity. */
      let bytesRead: number | undefined;
      /** Encodes from the copy shard file or the planned seek, or (`fromStart`) from the source decoded from its beginning. */
      const run = async (fromStart: boolean): Promise<number> => {
        const copy = common.mode === 'copy' && !fromStart;
        const encodeFrom = async (file: string): Promise<number> => {
          const shared: ShardFrames = {
            input: file,
            seekSeconds: common.mode === 'range' && !fromStart ? shard.seekSeconds : undefined,
            videoStream: copy ? 0 : common.videoStream,
            timeBase: common.grid.timeBase,
            originPts: common.grid.startPts + (copy ? (shard.offsetTicks ?? 0) : 0),
            fps: rate,
            startSlot,
            endSlot,
            holdSeconds: holdSeconds(input, fps, parseRational(common.fps) ?? fps),
            check: { fromPts: gridTicksCeil(common.grid, shard.firstFrame), toPts: gridTicksCeil(common.grid, shard.end), file: list },
            geometry: common.geometry,
            watermark,
            threads: ladder ? config.streamThreads : config.ffmpegThreads,
          };
          const args = ladder ? sharedDecodeShardArgs(shared, ladder, segmentFrames!) : encodeShardArgs({ ...shared, rendition, output: out });
          await heartbeating(async (report) => {
            try {
              await runFfmpeg(args, { signal: cancellationSignal(), onProgress: report });
            } catch (err) {
              throw mediaFailure(`encoding ${what}`, err, { url: common.source, file });
            }
          });
          return listedFrames(list);
        };
        if (copy) {
          const url = workArea.sourceShard(common.workUrl, index);
          return encodeFrom(await stores.for(url).localPath(url, scratch));
        }
        return withSource(stores.for(common.source), common.source, scratch, async (source) => {
          try {
            return await encodeFrom(source.input);
          } finally {
            const read = source.bytesRead();
            if (read !== undefined) bytesRead = (bytesRead ?? 0) + read;
          }
        });
      };
      let decoded = await run(false);
      if (decoded !== shard.frames && (common.mode === 'copy' || shard.seekSeconds !== undefined)) {
        // A decoder restarted at a keyframe can drop pictures around it (open GOPs): decode as a single pass does.
        warnInActivity('a shard decoded other frames than the source holds; encoding it again from the start of the source', {
          shard: index + 1,
          rendition: rungs.map((r) => r.name).join(','),
          decoded,
          expected: shard.frames,
        });
        decoded = await run(true);
      }
      if (decoded !== shard.frames) {
        throw invalidMedia(
          common.source,
          `${what}: ffmpeg decoded ${decoded} of the ${shard.frames} source frames between ${gridSeconds(shard.firstFrame).toFixed(3)} s and ` +
            `${gridSeconds(shard.end).toFixed(3)} s; the video ends early or holds data ffmpeg cannot decode there`,
        );
      }
      for (const r of ladder ?? [{ rendition, output: out }]) {
        const got = await encodedFrames(ladder ? path.join(r.output, SCRATCH_PLAYLIST) : r.output);
        if (got < frames) {
          // The same bytes decode the same way on every attempt: retrying cannot fill the gap.
          throw invalidMedia(
            common.source,
            `${whatOf(r.rendition.name)} got ${got} of the ${frames} frames its grid slots ${startSlot}-${endSlot - 1} need; ` +
              'the video ends early or holds data ffmpeg cannot decode there',
          );
        }
        if (got > frames) throw new Error(`internal: ${whatOf(r.rendition.name)} has ${got} frames, expected ${frames}`);
      }
      if (ladder) {
        // Every rung's segments to store after the encode: keep heartbeating, a remote store may take a while.
        await whileHeartbeating(() =>
          Promise.all(
            ladder.map(async (r) => {
              const rungWhat = whatOf(r.rendition.name);
              await storeShardSegments({
                dir: r.output, work, workUrl: common.workUrl, rung: r.rendition.name, startSlot, frames, segmentFrames: segmentFrames!, fps, storeInit: index === 0, what: rungWhat,
              });
              if (r.thumbnails) await storeShardThumbnails(r.thumbnails, work, common.workUrl, rungWhat);
            }),
          ),
        );
      } else await work.putFile(target, out);
      return bytesRead === undefined ? { frames, reused: false } : { frames, reused: false, bytesRead };
    });
  }
}

/**
 * How long the input's last frame must be held: a copy shard's file (and the source, for the last shard) stops at
 * `lastFrame`, and the single pass shows that frame until the next one, or the end. The hold reaches one slot past
 * the shard's end plus one source frame, so it is never short whatever rate the input's timestamps suggest to tpad;
 * trim cuts the rest.
 */
function holdSeconds(input: ShardTaskInput, fps: Rational, sourceFps: Rational): number | undefined {
  const missing = shardSlots(input.shard, fps).endSlot - slotAt(input.shard.lastFrame, fps);
  if (missing <= 0) return undefined;
  return (missing + 1) / toNumber(fps) + 1 / toNumber(sourceFps);
}

/** Frames listed in a framecrc file: one line each, after the header lines. */
async function listedFrames(file: string): Promise<number> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
}

/** Frames in an encoded shard; 0 when ffmpeg wrote no usable file (nothing decoded). */
async function encodedFrames(file: string): Promise<number> {
  try {
    return videoStreamOf(await inspectOutput(file))?.packets ?? 0;
  } catch {
    return 0;
  }
}

async function watermarkFiles(common: ShardCommon, stores: Stores, scratch: string): Promise<WatermarkFiles | undefined> {
  const wm = common.watermark;
  if (!wm) return undefined;
  const files: WatermarkFiles = { position: wm.position ?? 'bottom-right' };
  if (wm.text !== undefined) {
    files.textFile = path.join(scratch, 'watermark.txt');
    await fs.writeFile(files.textFile, wm.text);
  }
  if (wm.image !== undefined) {
    files.imageFile = await stores.for(wm.image).localPath(wm.image, scratch);
  }
  return files;
}
