// Encodes one shard of one rendition: exactly the frames the shard owns on
// the output grid, upright, scaled, at a constant rate.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SCRATCH_PLAYLIST } from '../media/cmafArgs';
import { runFfmpeg } from '../media/ffmpeg';
import { encodeShardArgs, type WatermarkFiles } from '../media/ffmpegArgs';
import { inspectOutput, videoStreamOf } from '../media/inspect';
import { invalidMedia } from '../core/errors';
import { gridSeconds, gridTicksCeil, slotAt } from '../core/media/frameGrid';
import { parseRational, toNumber, type Rational } from '../core/media/rational';
import { shardSlots, type ShardSpec } from '../core/media/shardPlan';
import { renditionFrameRate } from '../core/job/frameRate';
import type { Stores } from '../storage/stores';
import type { ActivityDeps } from './deps';
import { warnInActivity } from './activityContext';
import { cancellationSignal, heartbeating, mediaFailure, withAttempt, withScratch } from './activityKit';
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
    try {
      checkFailpoint('transcode', { shard: input.index + 1, rendition: input.rendition.name });
      const shard = input.shard ?? (await shardSpecAt(stores, input.common.planUrl, input.index, config.scratchDir));
      const result = await encode({ ...input, shard });
      workerMetrics.shardDone(input.rendition.name);
      return result;
    } catch (err) {
      workerMetrics.shardFailed(input.rendition.name);
      throw withAttempt(err);
    }
  };

  async function encode(input: ShardTaskInput): Promise<EncodeShardResult> {
    const { common, rendition, index } = input;
    const rate = renditionFrameRate(rendition, common.fps);
    const fps = parseRational(rate) ?? { num: 25, den: 1 };
    const { startSlot, endSlot } = shardSlots(input.shard, fps);
    const frames = endSlot - startSlot;
    // A rendition slower than the source can leave a short shard without a frame of its own.
    if (frames === 0) return { frames, reused: false };
    const target = workArea.videoShard(common.workUrl, rendition.name, index);
    const work = stores.for(common.workUrl);

    const segmentFrames = common.segmentFrames;
    return withScratch(config.scratchDir, async (scratch) => {
      // A retry after a crash finds the shard already stored (puts are atomic): keep it. Streaming shards are
      // many files and are simply written again.
      if (segmentFrames === undefined && (await work.exists(target))) {
        const stored = await work.localPath(target, scratch);
        const have = videoStreamOf(await inspectOutput(stored))?.packets;
        if (have === frames) return { frames, reused: true };
      }
      const watermark = await watermarkFiles(common, stores, scratch);
      const thumbnails = segmentFrames !== undefined ? await shardThumbnails(common.thumbnails, rendition, common.geometry, { startSlot, endSlot }, scratch) : undefined;
      const out = segmentFrames !== undefined ? path.join(scratch, 'segments') : path.join(scratch, `shard.${target.split('.').pop()}`);
      if (segmentFrames !== undefined) await fs.mkdir(out);
      const list = path.join(scratch, 'decoded.framecrc');
      const what = `shard ${index + 1}/${input.count} of ${rendition.name}`;
      const shard = input.shard;
      /** Bytes of a remote source read by range, over every attempt at this shard in this activity. */
      let bytesRead: number | undefined;
      /** Encodes from the copy shard file or the planned seek, or (`fromStart`) from the source decoded from its beginning. */
      const run = async (fromStart: boolean): Promise<number> => {
        const copy = common.mode === 'copy' && !fromStart;
        const encodeFrom = async (file: string): Promise<number> => {
          const args = encodeShardArgs({
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
            rendition,
            watermark,
            threads: config.ffmpegThreads,
            output: out,
            segments: segmentFrames !== undefined ? { segmentFrames, firstNumber: Math.floor(startSlot / segmentFrames) } : undefined,
            thumbnails,
          });
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
          rendition: rendition.name,
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
      const got = await encodedFrames(segmentFrames !== undefined ? path.join(out, SCRATCH_PLAYLIST) : out);
      if (got < frames) {
        // The same bytes decode the same way on every attempt: retrying cannot fill the gap.
        throw invalidMedia(
          common.source,
          `shard ${index + 1}/${input.count} of ${rendition.name} got ${got} of the ${frames} frames its grid slots ${startSlot}-${endSlot - 1} need; ` +
            'the video ends early or holds data ffmpeg cannot decode there',
        );
      }
      if (got > frames) throw new Error(`internal: shard ${index + 1}/${input.count} of ${rendition.name} has ${got} frames, expected ${frames}`);
      if (segmentFrames !== undefined) {
        await storeShardSegments({
          dir: out, work, workUrl: common.workUrl, rung: rendition.name, startSlot, frames, segmentFrames, fps, storeInit: index === 0, what,
        });
        if (thumbnails) await storeShardThumbnails(thumbnails, work, common.workUrl, what);
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
