// Joins a rendition's shards with the concat demuxer (-c copy: no re-encode)
// and muxes in its audio.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../media/ffmpeg';
import { mergeArgs } from '../media/ffmpegArgs';
import { audioStreamOf, inspectOutput } from '../media/inspect';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { MergeInput } from '../core/contracts';
import { renditionFrameRate } from '../core/job/frameRate';
import { parseRational } from '../core/media/rational';
import { emptyShardsAt } from '../core/media/shardPlan';
import type { Stores } from '../storage/stores';
import { readShardPlan } from './shardPlanStore';
import { checkFailpoint } from './failpoints';
import { workArea } from './workArea';

/** A line of a concat demuxer list; the quoting rule is the demuxer's own. */
function concatLine(file: string): string {
  return `file '${file.replace(/'/g, "'\\''")}'\n`;
}

export function mergeRendition({ config, stores }: ActivityDeps) {
  return async function mergeRendition(input: MergeInput): Promise<string> {
    const { rendition, workUrl } = input;
    checkFailpoint('merge', { rendition: rendition.name });
    const work = stores.for(workUrl);
    const target = workArea.output(workUrl, rendition);
    return withScratch(config.scratchDir, async (scratch) => {
      let concatList: string | undefined;
      let copyVideoFrom: { file: string; stream: number } | undefined;
      if (input.videoStream !== undefined && rendition.video.codec === 'copy') {
        copyVideoFrom = { file: await stores.for(input.source).localPath(input.source, scratch), stream: input.videoStream };
      } else if (input.videoStream !== undefined) {
        concatList = path.join(scratch, 'shards.txt');
        let list = '';
        const empty = new Set(await emptyShardsOf(stores, input, config.scratchDir));
        for (let i = 0; i < input.shardCount; i++) {
          if (empty.has(i)) continue;
          list += concatLine(await work.localPath(workArea.videoShard(workUrl, rendition.name, i), scratch));
        }
        await fs.writeFile(concatList, list);
      }
      let audioFile: string | undefined;
      let audioOffset: number | undefined;
      if (input.hasAudio) {
        audioFile =
          rendition.audio.codec === 'copy'
            ? await stores.for(input.source).localPath(input.source, scratch)
            : await work.localPath(workArea.audio(workUrl, rendition), scratch);
        // ffmpeg starts each input's timeline at its container's start, so the audio lands that far after
        // zero (the source's own offset for copied audio, about zero for encoded audio): move it to where it belongs.
        const info = await inspectOutput(audioFile, cancellationSignal(), { countPackets: false });
        const lands = (audioStreamOf(info)?.startTime ?? info.startTime) - info.startTime;
        audioOffset = (input.audioOffset ?? lands) - lands;
      }
      const out = path.join(scratch, `out.${rendition.container}`);
      const args = mergeArgs({
        concatList,
        copyVideoFrom,
        videoOffset: input.videoOffset,
        audioFile,
        audioOffset,
        container: rendition.container,
        hevc: rendition.video.codec === 'h265',
        output: out,
      });
      await heartbeating(async (report) => {
        try {
          await runFfmpeg(args, { signal: cancellationSignal(), onProgress: report });
        } catch (err) {
          throw mediaFailure(`merging ${rendition.name}`, err);
        }
      });
      await work.putFile(target, out);
      return target;
    });
  };
}

/** Shards without a frame at this rendition's rate: given, or found in the job's plan. */
async function emptyShardsOf(stores: Stores, input: MergeInput, scratchDir: string): Promise<number[]> {
  if (input.emptyShards || !input.plan) return input.emptyShards ?? [];
  const plan = await readShardPlan(stores, input.plan.url, scratchDir);
  return emptyShardsAt(plan.shards, parseRational(renditionFrameRate(input.rendition, input.plan.sourceFps)) ?? { num: 25, den: 1 });
}
