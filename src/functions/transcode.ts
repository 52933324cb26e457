// The sample's `transcode`: encodes one shard (split_video_key) into one
// target_type. Exactly the frames the shard owns on the output grid, video
// only: audio is encoded once at merge, so shard boundaries carry no AAC gaps.
import { encodeShard } from '../activities/encodeShard';
import type { ShardCommon } from '../core/contracts';
import { workArea } from '../activities/workArea';
import { procDirOf, readPlan, renditionFor, shardCount, shardIndexOf, stringField, type FlowFunction, type FunctionDeps, type SplitPlan } from './videoSample';

export function shardCommon(procDir: string, plan: SplitPlan): ShardCommon {
  const video = plan.info.video!;
  return {
    workUrl: procDir,
    source: plan.source,
    mode: plan.mode,
    videoStream: video.index,
    grid: video.grid,
    fps: video.frameRate,
    geometry: { width: video.width, height: video.height, rotation: video.rotation },
  };
}

export function transcode(deps: FunctionDeps): FlowFunction {
  const encode = encodeShard(deps);
  return async function transcode(event) {
    const procDir = procDirOf(deps, event);
    const key = stringField(event, 'split_video_key');
    const rendition = renditionFor(stringField(event, 'target_type'));
    const plan = await readPlan(deps, procDir);
    const index = shardIndexOf(procDir, plan, key);
    const result = await encode({
      common: shardCommon(procDir, plan),
      index,
      count: shardCount(plan),
      shard: plan.shards[index],
      rendition,
    });
    return { transcoded_key: workArea.videoShard(procDir, rendition.name, index), frames: result.frames };
  };
}
