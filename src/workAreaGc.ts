// Work areas that no job will clean: a terminated job runs no cleanup, a
// worker can die during one, a flow can fail before its after-process step.
// This finds the areas below the work root whose workflow is not running and
// removes those nothing has written to for a while (`shardflow gc`).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { MAP_RUN_FOLDER_NAME, MAP_RUNS_FOLDER } from './core/flow/distributedMap';
import { isJobId } from './core/job/jobId';
import { joinObjectUrl, relativeKey } from './core/objectUrl';
import { checkWorkAreaUrl } from './activities/workAreaGuard';
import { procDirName } from './functions/videoSample';
import type { ObjectInfo } from './storage/objectStore';
import type { Stores } from './storage/stores';

export interface WorkArea {
  /** Prefix URL of the area, ending in "/". */
  url: string;
  /** transcodeVideo's <work root>/<job id>/, or a flow's <work root>/video-proc/<request id>/ or distributed Map chunks <work root>/flow-map-runs/<workflow id>.<run>/. */
  kind: 'job' | 'flow';
  /** The workflow id that owns it. Flow areas carry it with characters outside [A-Za-z0-9._-] replaced by "_". */
  owner: string;
  objects: number;
  bytes: number;
  /** The newest object's modification time. */
  lastModified?: Date;
}

export type GcAction = 'removed' | 'would-remove' | 'kept-running' | 'kept-recent';

export interface GcEntry extends WorkArea {
  /** The owner's execution status (COMPLETED, FAILED, TERMINATED, ...), or UNKNOWN when Temporal has no record. */
  status: string;
  action: GcAction;
}

export interface GcOptions {
  /** Areas written to more recently than this are kept whatever their owner's state. */
  olderThanMs: number;
  dryRun: boolean;
  now?: number;
}

const FLOW_AREAS = 'video-proc';
/** A flow area's name: <workflow id>.<first 8 of run id>.<activity id> (see the flow functions' procDirFor). */
// <workflow id>.<run id>.<activity id>; areas made before whole run ids held its first 8 characters.
const FLOW_AREA_NAME = /^(.+)\.(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8})\.[^.]+$/;

/** Groups the objects below `workRoot` into work areas; anything else there is left out. */
export function groupWorkAreas(workRoot: string, objects: ObjectInfo[]): WorkArea[] {
  const areas = new Map<string, WorkArea>();
  for (const o of objects) {
    const parts = relativeKey(o.url, workRoot)?.split('/') ?? [];
    let area: Omit<WorkArea, 'objects' | 'bytes'> | undefined;
    if (parts[0] === FLOW_AREAS && parts.length > 2) {
      const owner = FLOW_AREA_NAME.exec(parts[1])?.[1];
      if (owner) area = { url: joinObjectUrl(workRoot, `${FLOW_AREAS}/${parts[1]}/`), kind: 'flow', owner };
    } else if (parts[0] === MAP_RUNS_FOLDER && parts.length > 2) {
      const owner = MAP_RUN_FOLDER_NAME.exec(parts[1])?.[1];
      if (owner) area = { url: joinObjectUrl(workRoot, `${MAP_RUNS_FOLDER}/${parts[1]}/`), kind: 'flow', owner };
    } else if (parts.length > 1 && isJobId(parts[0])) {
      area = { url: joinObjectUrl(workRoot, `${parts[0]}/`), kind: 'job', owner: parts[0] };
    }
    if (!area) continue;
    const seen = areas.get(area.url) ?? { ...area, objects: 0, bytes: 0 };
    seen.objects++;
    seen.bytes += o.size;
    if (o.lastModified && (!seen.lastModified || o.lastModified > seen.lastModified)) seen.lastModified = o.lastModified;
    areas.set(area.url, seen);
  }
  return [...areas.values()].sort((a, b) => a.url.localeCompare(b.url));
}

/** Flow areas name their owner with some characters replaced, so running flows are matched by that same name. */
async function runningFlowNames(client: Client): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) names.add(procDirName(wf.workflowId));
  return names;
}

async function statusOf(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'UNKNOWN';
    throw err;
  }
}

/** Finds the work areas below `workRoot` and removes those whose workflow is not running and that are old enough. */
export async function collectWorkAreas(client: Client, stores: Stores, workRoot: string, options: GcOptions): Promise<GcEntry[]> {
  const now = options.now ?? Date.now();
  const store = stores.for(workRoot);
  const areas = groupWorkAreas(workRoot, await store.list(workRoot));
  const runningFlows = areas.some((a) => a.kind === 'flow') ? await runningFlowNames(client) : new Set<string>();
  const entries: GcEntry[] = [];
  for (const area of areas) {
    const status = area.kind === 'flow' && runningFlows.has(area.owner) ? 'RUNNING' : await statusOf(client, area.owner);
    let action: GcAction;
    if (status === 'RUNNING') action = 'kept-running';
    else if (area.lastModified && now - area.lastModified.getTime() < options.olderThanMs) action = 'kept-recent';
    else if (options.dryRun) action = 'would-remove';
    else {
      await checkWorkAreaUrl(stores, workRoot, area.url);
      await store.deletePrefix(area.url);
      action = 'removed';
    }
    entries.push({ ...area, status, action });
  }
  return entries;
}
