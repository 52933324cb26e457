// Encodes one shard of one rendition: exactly the frames the shard owns on
// the output grid, upright, scaled, at a constant rate.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../media/ffmpeg';
import { encodeShardArgs, type WatermarkFiles } from '../media/ffmpegArgs';
import { inspectOutput, videoStreamOf } from '../media/inspect';
import { parseRational, toNumber } from '../core/media/rational';
import { framesBetween } from '../core/media/shardPlan';
import { renditionFrameRate } from '../core/job/frameRate';
import type { Stores } from '../storage/stores';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withAttempt, withScratch } from './activityKit';
import { checkFailpoint } from './failpoints';
import { workerMetrics } from './metrics';
import type { EncodeShardInput, EncodeShardResult, ShardCommon } from '../core/contracts';
import { workArea } from './workArea';

export function encodeShard({ config, stores }: ActivityDeps) {
  return async function encodeShard(input: EncodeShardInput): Promise<EncodeShardResult> {
    try {
      checkFailpoint('transcode', { shard: input.index + 1, rendition: input.rendition.name });
      const result = await encode(input);
      workerMetrics.shardDone(input.rendition.name);
      return result;
    } catch (err) {
      workerMetrics.shardFailed(input.rendition.name);
      throw withAttempt(err);
    }
  };

  async function encode(input: EncodeShardInput): Promise<EncodeShardResult> {
    const { common, rendition, index } = input;
    const rate = renditionFrameRate(rendition, common.fps);
    const fps = toNumber(parseRational(rate) ?? { num: 25, den: 1 });
    const frames = framesBetween(common.videoStart, input.start, input.end, fps);
    const target = workArea.videoShard(common.workUrl, rendition.name, index);
    const work = stores.for(common.workUrl);

    return withScratch(config.scratchDir, async (scratch) => {
      // A retry after a crash finds the shard already stored (puts are atomic): keep it.
      if (await work.exists(target)) {
        const stored = await work.localPath(target, scratch);
        const have = videoStreamOf(await inspectOutput(stored))?.packets;
        if (have === frames) return { frames, reused: true };
      }
      const source = common.mode === 'copy' ? workArea.sourceShard(common.workUrl, index) : common.source;
      const file = await stores.for(source).localPath(source, scratch);
      const watermark = await watermarkFiles(common, stores, scratch);
      const out = path.join(scratch, `shard.${target.split('.').pop()}`);
      const args = encodeShardArgs({
        input: file,
        seekSeconds: common.mode === 'range' ? Math.max(0, input.start - common.sourceStart - 0.5 / fps) : undefined,
        videoStream: common.mode === 'copy' ? 0 : common.videoStream,
        frames,
        fps: rate,
        geometry: common.geometry,
        rendition,
        watermark,
        threads: config.ffmpegThreads,
        output: out,
      });
      await heartbeating(async (report) => {
        try {
          await runFfmpeg(args, { signal: cancellationSignal(), onProgress: report });
        } catch (err) {
          throw mediaFailure(`encoding shard ${index + 1}/${input.count} of ${rendition.name}`, err);
        }
      });
      const got = videoStreamOf(await inspectOutput(out))?.packets ?? 0;
      if (got !== frames) {
        throw new Error(`shard ${index + 1}/${input.count} of ${rendition.name} has ${got} frames, expected ${frames}`);
      }
      await work.putFile(target, out);
      return { frames, reused: false };
    });
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
