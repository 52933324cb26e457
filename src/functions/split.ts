// The samples' `split` (the FDL and the CloudFlow video-flow contracts):
// probes the source named by oss_bucket_name + video_key and cuts it into keyframe-aligned shards with shardflow's own split, which
// falls back to frame-accurate ranges when keyframes are too sparse.
import { probeSource } from '../activities/probeSource';
import { splitSource } from '../activities/splitSource';
import { invalidJob, invalidMedia } from '../core/errors';
import { checkShardCount, MAX_SHARDS } from '../core/job/limits';
import { bucketUrl, procDirFor, renditionFor, segmentSeconds, splitKeys, stringField, writePlan, type FlowFunction, type FunctionDeps, type SplitPlan } from './videoSample';
import { readShardPlan } from '../activities/shardPlanStore';

/**
 * With `map_items: true`, the transcode and merge events themselves, one per key × format and per format.
 * A CloudFlow Map hands each item only its element (no outer fields), so a CloudFlow definition iterates
 * over these; FDL's foreach merges the parent's input into each item and needs no such help.
 */
function mapItems(event: Record<string, unknown>, split_keys: string[], video_proc_dir: string): Record<string, unknown> {
  const formats = dstFormats(event);
  const { oss_bucket_name, video_key, output_prefix } = event;
  return {
    transcode_items: formats.flatMap((target_type) => split_keys.map((split_video_key) => ({ split_video_key, target_type, video_proc_dir }))),
    merge_items: formats.map((target_type) => ({ split_keys, target_type, video_proc_dir, oss_bucket_name, video_key, output_prefix })),
  };
}

/**
 * The CloudFlow video-flow sample's answer: per dst format, the format and its split items
 * `{filekey, video_proc_dir, format}`, which its nested Maps iterate and its transcode/merge read.
 */
function cloudFlowFormats(formats: string[], split_keys: string[], video_proc_dir: string): Record<string, unknown>[] {
  return formats.map((format) => ({ format, video_proc_dir, split_keys: split_keys.map((filekey) => ({ filekey, video_proc_dir, format })) }));
}

/** dst_formats as given (absent: none), each checked before anything is cut, so a format we cannot make fails at once. */
function dstFormats(event: Record<string, unknown>): string[] {
  const raw = event.dst_formats;
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((f) => typeof f !== 'string')) throw invalidJob(`event field "dst_formats" must be a list of format names, got ${JSON.stringify(raw)}`);
  for (const f of raw as string[]) renditionFor(f);
  return raw as string[];
}

export function split(deps: FunctionDeps): FlowFunction {
  const probe = probeSource(deps);
  const cut = splitSource(deps);
  return async function split(event, ctx) {
    const source = bucketUrl(deps.flowStore, stringField(event, 'oss_bucket_name'), stringField(event, 'video_key'));
    const seconds = segmentSeconds(event);
    const formats = dstFormats(event);
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
      const items = event.map_items === true ? mapItems(event, split_keys, procDir) : {};
      // The FDL sample's contract keeps the flow's dst_formats (its foreach reads them as names); CloudFlow's replaces them.
      if (ctx.flowSpec === 'cloudflow') return { video_proc_dir: procDir, split_keys, dst_formats: cloudFlowFormats(formats, split_keys, procDir), ...items };
      return { split_keys, video_proc_dir: procDir, ...items };
    } catch (err) {
      // Nothing downstream knows this directory yet, so nothing else would remove it.
      await deps.stores.for(procDir).deletePrefix(procDir).catch(() => undefined);
      throw err;
    }
  };
}
