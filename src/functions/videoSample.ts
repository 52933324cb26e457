// What the video-processing sample's functions share: reading their events,
// mapping `oss_bucket_name` + key onto one of our stores, and the split plan
// that split leaves in video_proc_dir for transcode and merge to read.
import { promises as fs } from 'node:fs';
import { withScratch } from '../activities/activityKit';
import type { ActivityDeps } from '../activities/deps';
import { workArea } from '../activities/workArea';
import { invalidJob } from '../core/errors';
import { alibabaDstFormats, DEFAULT_SEGMENT_SECONDS, normalizeJob } from '../core/job/jobInput';
import type { RenditionSpec } from '../core/job/rendition';
import type { MediaInfo } from '../core/media/mediaInfo';
import type { ShardSpec, SplitMode } from '../core/media/shardPlan';
import { isWithin, joinObjectUrl } from '../core/objectUrl';
import { DELIVERY_FORMATS, isDeliveryFormat } from '../media/deliveryArgs';

/**
 * Where `oss_bucket_name` points. `oss` (and `s3`) use the bucket as named; `local`, the default, maps bucket
 * B to keys `B/...` in the worker's local store, so the sample runs with no cloud account.
 */
export type FlowStore = 'local' | 'oss' | 's3';

export function flowStoreFromEnv(env: NodeJS.ProcessEnv = process.env): FlowStore {
  const v = (env.SHARDFLOW_FLOW_STORE ?? 'local').toLowerCase();
  if (v !== 'local' && v !== 'oss' && v !== 's3') throw new Error(`SHARDFLOW_FLOW_STORE must be local, oss or s3, got ${JSON.stringify(v)}`);
  return v;
}

export interface FunctionDeps extends ActivityDeps {
  flowStore: FlowStore;
}

/** What FC hands a function besides the event. */
export interface FunctionContext {
  /** Unique per invocation and stable across its retries; names video_proc_dir as FC's request id does in the sample. */
  requestId: string;
  stateName: string;
  /** Set when a CloudFlow definition calls: `split` answers the CloudFlow video-flow sample's contract. */
  flowSpec?: 'cloudflow';
}

export type FlowFunction = (event: Record<string, unknown>, ctx: FunctionContext) => Promise<unknown>;

/** OSS bucket naming rules: 3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen. */
const OSS_BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The object URL of `key` in `bucket`. Both come from the flow's event, so the bucket must be a real bucket
 * name (no "file:/" or "../" in it) and the result must still lie in that bucket: neither can switch the
 * scheme or leave the bucket's folder of the local store.
 */
export function bucketUrl(store: FlowStore, bucket: string, key: string): string {
  if (typeof bucket !== 'string' || !OSS_BUCKET_NAME.test(bucket)) {
    throw invalidJob(`oss_bucket_name ${JSON.stringify(bucket)} is not a bucket name: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit`);
  }
  const k = key.replace(/^\/+/, '');
  const url = store === 'local' ? `${bucket}/${k}` : `${store}://${bucket}/${k}`;
  let inside = false;
  try {
    inside = isWithin(url, store === 'local' ? `${bucket}/` : `${store}://${bucket}/`);
  } catch {
    inside = false;
  }
  if (!inside) throw invalidJob(`key ${JSON.stringify(key)} does not name an object inside bucket ${bucket}`);
  return url;
}

export function stringField(event: Record<string, unknown>, name: string): string {
  const v = event[name];
  if (typeof v !== 'string' || v.length === 0) throw invalidJob(`event field "${name}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** The sample's dst format for HLS: shards encoded as for mp4, the merged file repackaged as a playlist. */
export const HLS_TARGET = 'm3u8';

/** A sample `target_type` as a format name: ".webm" and "WEBM" are "webm". */
export function formatOf(targetType: string): string {
  return targetType.replace(/^\./, '').toLowerCase();
}

/**
 * The rendition a sample `target_type` ("mp4", ".webm", "mkv", "m3u8", "flv" ...) stands for; the job validator's
 * own mapping. HLS and the delivery formats (flv, mov, avi) encode their shards as mp4 does and repackage the
 * merged, verified file, under their own name so their shards have a folder of their own.
 */
export function renditionFor(targetType: string): RenditionSpec {
  const format = formatOf(targetType);
  if (format === HLS_TARGET || isDeliveryFormat(format)) return { ...renditionFor('mp4'), name: format };
  if (!alibabaDstFormats().includes(format)) {
    throw invalidJob(`dst format ${JSON.stringify(targetType)} is not supported; use one of ${[...alibabaDstFormats(), ...DELIVERY_FORMATS].join(', ')}`);
  }
  return normalizeJob({ oss_bucket_name: 'b', video_key: 'k', output_prefix: '', dst_formats: [format] }).renditions[0];
}

/** The file extension a target_type's merged output has. */
export function outputExtension(rendition: RenditionSpec): string {
  return isDeliveryFormat(rendition.name) ? rendition.name : rendition.container;
}

/** segment_time_seconds as the sample passes it (number or numeric string), validated as job input is. */
export function segmentSeconds(event: Record<string, unknown>): number {
  const raw = event.segment_time_seconds;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  try {
    return normalizeJob({ source: 'k', output: 'o/', segmentSeconds: n }).segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  } catch {
    throw invalidJob(`event field "segment_time_seconds" must be a number from 0.5 to 3600, got ${JSON.stringify(raw)}`);
  }
}

/** What split learned, kept in video_proc_dir: the sample's events carry only keys. */
export interface SplitPlan {
  source: string;
  info: MediaInfo;
  mode: SplitMode;
  shards: ShardSpec[];
}

const PLAN_NAME = 'split-plan.json';

/** A request id as one safe path component: characters outside [A-Za-z0-9._-] become "_". */
export function procDirName(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function procDirFor(deps: ActivityDeps, requestId: string): string {
  return joinObjectUrl(deps.config.workRoot, `video-proc/${procDirName(requestId)}/`);
}

/** Where split makes its directories, below the work root. */
export function procRootOf(deps: ActivityDeps): string {
  return joinObjectUrl(deps.config.workRoot, 'video-proc/');
}

/** video_proc_dir from an event, refused unless it is one of ours: after-process deletes it. */
export function procDirOf(deps: ActivityDeps, event: Record<string, unknown>): string {
  const dir = stringField(event, 'video_proc_dir');
  const root = procRootOf(deps);
  let inside = false;
  try {
    inside = isWithin(dir, root) && !isWithin(root, dir);
  } catch {
    inside = false;
  }
  if (!inside) throw invalidJob(`video_proc_dir ${JSON.stringify(dir)} is not a work directory split made (below ${root})`);
  return dir.endsWith('/') ? dir : `${dir}/`;
}

export async function writePlan(deps: ActivityDeps, procDir: string, plan: SplitPlan): Promise<void> {
  await deps.stores.for(procDir).putText(joinObjectUrl(procDir, PLAN_NAME), JSON.stringify(plan));
}

export async function readPlan(deps: ActivityDeps, procDir: string): Promise<SplitPlan> {
  const url = joinObjectUrl(procDir, PLAN_NAME);
  const store = deps.stores.for(url);
  if (!(await store.exists(url))) throw invalidJob(`${procDir} holds no split plan; run split first (or after-process already removed it)`);
  return withScratch(deps.config.scratchDir, async (scratch) => JSON.parse(await fs.readFile(await store.localPath(url, scratch), 'utf8')) as SplitPlan);
}

export function shardCount(plan: SplitPlan): number {
  return plan.shards.length;
}

/** split_keys: one key per shard, zero-padded so key order is shard order. */
export function splitKeys(procDir: string, plan: SplitPlan): string[] {
  return Array.from({ length: shardCount(plan) }, (_, i) => workArea.sourceShard(procDir, i));
}

/** The shard a split key names; anything split did not hand out is refused. */
export function shardIndexOf(procDir: string, plan: SplitPlan, key: string): number {
  const keys = splitKeys(procDir, plan);
  const index = keys.indexOf(key);
  if (index < 0) throw invalidJob(`split_video_key ${JSON.stringify(key)} is not one of the ${keys.length} keys split made in ${procDir}`);
  return index;
}
