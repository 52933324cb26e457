// Plans the shards and, where the keyframes allow, stream-copies the video
// into keyframe-aligned shard files so no encoder has to seek far.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../media/ffmpeg';
import { splitArgs } from '../media/ffmpegArgs';
import { scanVideoTiming } from '../media/probe';
import { parseRational, toNumber } from '../core/media/rational';
import { planShards } from '../core/media/shardPlan';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { SplitInput, SplitResult } from '../core/contracts';
import { workArea } from './workArea';
import { log } from '@temporalio/activity';

export function splitSource({ config, stores }: ActivityDeps) {
  return async function splitSource(input: SplitInput): Promise<SplitResult> {
    const store = stores.for(input.source);
    const work = stores.for(input.workUrl);
    const fps = toNumber(parseRational(input.fps) ?? { num: 25, den: 1 });
    return withScratch(config.scratchDir, (scratch) =>
      heartbeating(async (report) => {
        const file = await store.localPath(input.source, scratch);
        let timing;
        try {
          timing = await scanVideoTiming(file, input.videoStream, cancellationSignal());
        } catch (err) {
          throw mediaFailure(`reading keyframes of ${input.source}`, err);
        }
        const plan = planShards({ ...timing, fps, segmentSeconds: input.segmentSeconds });
        const count = plan.boundaries.length - 1;
        if (plan.mode === 'range' || count === 1) return { mode: 'range', boundaries: plan.boundaries };

        const outDir = path.join(scratch, 'shards');
        await fs.mkdir(outDir);
        const args = splitArgs({
          input: file,
          videoStreamIndex: input.videoStream,
          cuts: plan.boundaries.slice(1, -1),
          tolerance: 0.25 / fps,
          outputPattern: path.join(outDir, '%06d.mkv'),
          listFile: path.join(scratch, 'shards.csv'),
        });
        try {
          await runFfmpeg(args, { signal: cancellationSignal(), onProgress: report });
        } catch (err) {
          throw mediaFailure(`splitting ${input.source}`, err);
        }
        const files = (await fs.readdir(outDir)).filter((f) => f.endsWith('.mkv')).sort();
        if (files.length !== count) {
          // The muxer disagreed with the packet scan about a keyframe; seeking is slower but always right.
          log.warn('split produced a different shard count; encoding ranges from the source instead', { expected: count, got: files.length });
          return { mode: 'range', boundaries: plan.boundaries };
        }
        for (let i = 0; i < files.length; i++) {
          await work.putFile(workArea.sourceShard(input.workUrl, i), path.join(outDir, files[i]));
        }
        return { mode: 'copy', boundaries: plan.boundaries };
      }),
    );
  };
}
