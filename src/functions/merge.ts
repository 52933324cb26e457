// The sample's `merge`: joins one target_type's shards in key order (concat,
// -c copy), muxes in audio encoded once from the whole source, verifies the
// result (frame count, duration, A/V start) and only then writes it to
// <output_prefix>/<name>/merged_<name>.<ext> in the bucket, as the sample does
// (m3u8: merged_<name>.m3u8 and its TS segments, see hlsOutput.ts; flv, mov,
// avi: the merged MP4 carried over into that container, see deliveryOutput.ts).
import * as path from 'node:path';
import { encodeAudio } from '../activities/encodeAudio';
import { mergeRendition } from '../activities/mergeRendition';
import { verifyRendition } from '../activities/verifyRendition';
import { workArea } from '../activities/workArea';
import { invalidJob, permanentError, ErrorType } from '../core/errors';
import { renditionFrameRate } from '../core/job/frameRate';
import { gridFrameCount } from '../core/media/frameGrid';
import { parseRational } from '../core/media/rational';
import { emptyShardsAt, seamCuts, shardSlots } from '../core/media/shardPlan';
import { streamOffsets } from '../core/media/streamOffsets';
import { hlsPlaylistName } from '../media/hlsVodArgs';
import { isDeliveryFormat } from '../media/deliveryArgs';
import { publishDelivery } from './deliveryOutput';
import { publishHls } from './hlsOutput';
import { bucketUrl, HLS_TARGET, outputExtension, procDirOf, readPlan, renditionFor, shardCount, splitKeys, stringField, type FlowFunction, type FunctionDeps } from './videoSample';

/** A split key as either sample passes it: the key itself, or an item {filekey, video_proc_dir, format}. */
function splitKeyOf(item: unknown): unknown {
  return item !== null && typeof item === 'object' && 'filekey' in item ? (item as { filekey: unknown }).filekey : item;
}

export function merge(deps: FunctionDeps): FlowFunction {
  const audio = encodeAudio(deps);
  const join = mergeRendition(deps);
  const verify = verifyRendition(deps);
  return async function merge(event) {
    const procDir = procDirOf(deps, event);
    const targetType = stringField(event, 'target_type');
    const rendition = renditionFor(targetType);
    const bucket = stringField(event, 'oss_bucket_name');
    const videoKey = stringField(event, 'video_key');
    const outputPrefix = typeof event.output_prefix === 'string' ? event.output_prefix : '';
    const plan = await readPlan(deps, procDir);
    const expected = splitKeys(procDir, plan);
    // The FDL sample passes the keys; the CloudFlow video-flow sample passes split's {filekey, ...} items.
    const given = Array.isArray(event.split_keys) ? event.split_keys.map(splitKeyOf) : undefined;
    if (!given || given.length !== expected.length || given.some((k) => !expected.includes(k as string))) {
      throw invalidJob(`split_keys must be the ${expected.length} keys split returned for ${procDir} (or its {filekey} items)`);
    }
    const count = shardCount(plan);
    const { info } = plan;
    const video = info.video!;
    const fps = renditionFrameRate(rendition, video.frameRate);
    const rate = parseRational(fps) ?? { num: 25, den: 1 };
    const slots = plan.shards.map((s) => shardSlots(s, rate));
    const emptyShards = emptyShardsAt(plan.shards, rate);
    const work = deps.stores.for(procDir);
    const missing: number[] = [];
    for (let i = 0; i < count; i++) {
      if (!emptyShards.includes(i) && !(await work.exists(workArea.videoShard(procDir, rendition.name, i)))) missing.push(i + 1);
    }
    if (missing.length > 0) {
      throw permanentError(ErrorType.InvalidJob, `merge of ${targetType}: shard(s) ${missing.join(', ')} of ${count} were not transcoded to ${targetType}`);
    }

    const hasAudio = info.audio !== undefined && rendition.audio.codec !== 'none';
    if (hasAudio && rendition.audio.codec !== 'copy') {
      await audio({ workUrl: procDir, source: plan.source, audioStream: info.audio!.index, sourceChannels: info.audio!.channels, rendition });
    }
    const offsets = streamOffsets(info, hasAudio);
    const merged = await join({
      workUrl: procDir,
      source: plan.source,
      rendition,
      shardCount: count,
      emptyShards,
      videoStream: video.index,
      hasAudio,
      videoOffset: offsets.video,
      audioOffset: offsets.audio,
    });
    const shardFrames = slots.reduce((sum, sl) => sum + sl.endSlot - sl.startSlot, 0);
    const expectedFrames = gridFrameCount(video.grid, rate);
    const seams = { source: plan.source, gridStart: video.startTime, cuts: seamCuts(plan.shards, video.startTime), watermarked: false };
    const report = await verify({ rendition, url: merged, source: info, shardFrames, expectedFrames, fps, expectAudio: hasAudio, seams });

    const name = path.posix.parse(videoKey).name;
    const folderKey = path.posix.join(outputPrefix.replace(/^\/+/, ''), name);
    let outputKey = path.posix.join(folderKey, `merged_${name}.${outputExtension(rendition)}`);
    if (rendition.name === HLS_TARGET) {
      outputKey = path.posix.join(folderKey, hlsPlaylistName(`merged_${name}`));
      const folder = bucketUrl(deps.flowStore, bucket, `${folderKey}/`);
      await publishHls(deps, { merged, frames: report.frames, expectAudio: hasAudio, folder, base: `merged_${name}` });
    } else if (isDeliveryFormat(rendition.name)) {
      const target = bucketUrl(deps.flowStore, bucket, outputKey);
      await publishDelivery(deps, { merged, frames: report.frames, expectAudio: hasAudio, format: rendition.name, target });
    } else {
      await deps.stores.copy(merged, bucketUrl(deps.flowStore, bucket, outputKey));
    }
    return { [targetType]: outputKey, output_key: outputKey, video_proc_dir: procDir, frames: report.frames, duration: report.duration };
  };
}
