// The sample's `split`: probes the source named by oss_bucket_name + video_key
// and cuts it into keyframe-aligned shards with shardflow's own split, which
// falls back to frame-accurate ranges when keyframes are too sparse.
import { probeSource } from '../activities/probeSource';
import { splitSource } from '../activities/splitSource';
import { invalidMedia } from '../core/errors';
import { checkShardCount, MAX_SHARDS } from '../core/job/limits';
import { bucketUrl, procDirFor, segmentSeconds, splitKeys, stringField, writePlan, type FlowFunction, type FunctionDeps, type SplitPlan } from './videoSample';
import { readShardPlan } from '../activities/shardPlanStore';

/**
 * With `map_items: true`, the transcode and merge events themselves, one per key × format and per format.
 * A CloudFlow Map hands each item only its element (no outer fields), so a CloudFlow definition iterates
 * over these; FDL's foreach merges the parent's input into each item and needs no such help.
 */
function mapItems(event: Record<string, unknown>, split_keys: string[], video_proc_dir: string): Record<string, unknown> {
  const formats = Array.isArray(event.dst_formats) ? event.dst_formats.map(String) : [];
  const { oss_bucket_name, video_key, output_prefix } = event;
  return {
    transcode_items: formats.flatMap((target_type) => split_keys.map((split_video_key) => ({ split_video_key, target_type, video_proc_dir }))),
    merge_items: formats.map((target_type) => ({ split_keys, target_type, video_proc_dir, oss_bucket_name, video_key, output_prefix })),
  };
}

export function split(deps: FunctionDeps): FlowFunction {
  const probe = probeSource(deps);
  const cut = splitSource(deps);
  return async function split(event, ctx) {
    const source = bucketUrl(deps.flowStore, stringField(event, 'oss_bucket_name'), stringField(event, 'video_key'));
    const seconds = segmentSeconds(event);
    const info = await probe({ source });
    if (!info.video) throw invalidMedia(source, 'it has no video stream, and the video-processing flow transcodes video');
    checkShardCount(info.duration, seconds, MAX_SHARDS);
    const procDir = procDirFor(deps, ctx.requestId);
    try {
      const result = await cut({
        jobId: ctx.requestId,
        workUrl: procDir,
        source,
        videoStream: info.video.index,
        grid: info.video.grid,
        fps: info.video.frameRate,
        segmentSeconds: seconds,
        formatStart: info.startTime,
        formatName: info.formatName,
      });
      const { shards } = await readShardPlan(deps.stores, result.planUrl ?? '', deps.config.scratchDir);
      const plan: SplitPlan = { source, info, mode: result.mode, shards };
      await writePlan(deps, procDir, plan);
      const split_keys = splitKeys(procDir, plan);
      return { split_keys, video_proc_dir: procDir, ...(event.map_items === true ? mapItems(event, split_keys, procDir) : {}) };
    } catch (err) {
      // Nothing downstream knows this directory yet, so nothing else would remove it.
      await deps.stores.for(procDir).deletePrefix(procDir).catch(() => undefined);
      throw err;
    }
  };
}
