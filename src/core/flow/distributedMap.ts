// CloudFlow's Map state in distributed mode: which Maps run that way, their
// settings (ItemReader, ItemBatcher, ResultWriter, tolerated failures) as the
// interpreter and its activities exchange them, and the arithmetic of batches
// and tolerated failures. Pure: the workflow, the activities and `flow
// validate` share it.
import { jsonSize } from './flowErrors';

/** Map fields that exist only in distributed mode; any of them makes a Map distributed. */
const DISTRIBUTED_FIELDS = ['ItemReader', 'ItemBatcher', 'ItemConstructor', 'ResultWriter', 'ToleratedFailureCount', 'ToleratedFailurePercentage', 'MaxItems'];

export const ITEM_SOURCE_TYPES = ['OSS_OBJECTS', 'OSS_JSON_LIST', 'OSS_CSV', 'OSS_INVENTORY_FILES'] as const;
export type ItemSourceType = (typeof ITEM_SOURCE_TYPES)[number];

/** Step Functions' name for a Map run that failed more items than it tolerates (CloudFlow's documentation names none). */
export const EXCEED_TOLERATED_FAILURE = 'States.ExceedToleratedFailureThreshold';

/** Items (or batches) one child workflow runs: a few events each keeps its history far below 51,200 events. */
export const UNITS_PER_CHUNK = 1000;
/** Bytes of items one chunk holds, so reading a chunk stays far below the 2 MB payload limit. */
export const CHUNK_BYTES = 512 * 1024;
/** Chunk children one workflow starts at most; more chunks go through a level of group children. */
export const CHILDREN_PER_WORKFLOW = 500;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a Map state runs in distributed mode: ProcessorConfig says so, or it uses a distributed-only field. */
export function isDistributedMap(state: Obj): boolean {
  const config = state.ProcessorConfig;
  if (isObj(config)) {
    if (typeof config.Mode === 'string' && config.Mode.toUpperCase() === 'DISTRIBUTED') return true;
    if (typeof config.ExecutionMode === 'string' && config.ExecutionMode.toLowerCase() === 'express') return true;
  }
  return DISTRIBUTED_FIELDS.some((f) => state[f] !== undefined);
}

/** Where a distributed Map reads its items, with `.$` parameters already evaluated. */
export interface ItemReaderSpec {
  SourceType: ItemSourceType;
  Bucket: string;
  /** OSS_OBJECTS: the key prefix to list. */
  Prefix?: string;
  /** OSS_JSON_LIST, OSS_CSV, OSS_INVENTORY_FILES: the object to read. */
  ObjectName?: string;
  /** OSS_CSV: column names when the object has no header row. */
  CSVHeaders?: string[];
}

export interface ItemBatcherSpec {
  MaxItemsPerBatch?: number;
  MaxInputBytesPerBatch?: number;
  /** Evaluated once against the Map's input; every batch carries it. */
  BatchInput?: unknown;
}

/** A chunk of a run's items as the planning activity stores it: `start` is the first item's index in the run. */
export interface ItemChunk {
  start: number;
  items: unknown[];
}

/** What the planning activity reports: the items stay in storage, history holds their count and where they are. */
export interface MapRunPlan {
  /** Folder of the run's chunk objects (`items/<n>.json`), in the worker's work area. */
  runUrl: string;
  total: number;
  chunks: number;
}

export interface PlanMapRunInput {
  stateName: string;
  /** The workflow running the Map: its chunk folder carries the id, so `shardflow gc` knows whose it is. */
  owner: string;
  /** Unique per Map run; names the run's folders. */
  mapRunName: string;
  reader: ItemReaderSpec;
  /** MaxItems: read at most this many. */
  maxItems?: number;
  itemsPerChunk: number;
}

/** One result object as a chunk child hands it to the writer. */
export interface MapResultRecord {
  /** Position in the run of the item, or of a batch's first item. */
  Index: number;
  Input: unknown;
  Output?: unknown;
  Error?: string;
  Cause?: string;
}

export interface ResultWriterSpec {
  Bucket: string;
  /** Ends with `/` or is empty; results go to `<Prefix><MapRunName>/`. */
  Prefix: string;
}

export interface WriteMapResultsInput {
  stateName: string;
  writer: ResultWriterSpec;
  mapRunName: string;
  /** `SUCCEEDED_000003_1.json`, `FAILED_000003_1.json` ... */
  fileName: string;
  records: MapResultRecord[];
}

export interface FinishMapRunInput {
  stateName: string;
  mapRunName: string;
  /** The run's chunk folder to delete, when items were planned into storage. */
  runUrl?: string;
  /** Write the manifest here; absent, only clean up. */
  writer?: ResultWriterSpec;
  counts?: MapItemCounts;
}

export interface MapItemCounts {
  Total: number;
  Succeeded: number;
  Failed: number;
}

/** The Map's output when a ResultWriter holds the results: a summary, never the result list. */
export interface MapRunSummary {
  MapRunName: string;
  ItemCounts: MapItemCounts;
  ResultWriterDetails: { Bucket: string; Prefix: string; ObjectName: string };
}

export const MANIFEST_NAME = 'manifest.json';

/** The work area's folder of map run chunks: <work root>/flow-map-runs/<owner>.<MapRunName>/. */
export const MAP_RUNS_FOLDER = 'flow-map-runs';
/** A map run folder's name: its owner (characters outside [A-Za-z0-9._-] as "_") and the 32-hex run name. */
export const MAP_RUN_FOLDER_NAME = /^(.+)\.([0-9a-f]{32})$/;

/** The activities of a distributed Map run (src/functions/mapRunActivities.ts). */
export interface MapRunActivities {
  /** Reads the items once and stores them in chunks; answers their count and where they are. */
  planMapRun(input: PlanMapRunInput): Promise<MapRunPlan>;
  readMapChunk(input: { runUrl: string; chunk: number }): Promise<ItemChunk>;
  /** Writes one results object into the ResultWriter's folder of the run. */
  writeMapResults(input: WriteMapResultsInput): Promise<void>;
  /** Writes the manifest (with a ResultWriter) and removes the run's chunks. */
  finishMapRun(input: FinishMapRunInput): Promise<void>;
  /** Does nothing: run as a local activity, it ends a workflow activation without a trip to the server. */
  mapRunYield(): Promise<void>;
}

/** The folder of a run's results below the writer's prefix. */
export function resultFolderKey(writer: ResultWriterSpec, mapRunName: string): string {
  return `${writer.Prefix}${mapRunName}/`;
}

/**
 * Failures a run of `total` items tolerates: ToleratedFailureCount and ToleratedFailurePercentage each bound it
 * when set (the smaller wins); neither set tolerates none.
 */
export function toleratedFailures(total: number, count?: number, percentage?: number): number {
  const bounds: number[] = [];
  if (count !== undefined) bounds.push(count);
  if (percentage !== undefined) bounds.push(Math.floor((percentage * total) / 100));
  return bounds.length === 0 ? 0 : Math.min(...bounds);
}

/** Items per stored chunk: whole batches of MaxItemsPerBatch, about UNITS_PER_CHUNK units. */
export function itemsPerChunk(batcher: ItemBatcherSpec | undefined): number {
  const per = batcher?.MaxItemsPerBatch;
  return per && per > 0 ? per * Math.max(1, Math.floor(UNITS_PER_CHUNK / per)) : UNITS_PER_CHUNK;
}

/** A batch as the Processor receives it: `{Items, BatchInput}`. */
export interface ItemBatch {
  Items: unknown[];
  BatchInput?: unknown;
}

/**
 * Groups items in order into batches of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of
 * batch JSON; an item larger than the byte bound alone still gets a batch of its own.
 */
export function batchItems(items: unknown[], batcher: ItemBatcherSpec): { first: number; batch: ItemBatch }[] {
  const maxItems = batcher.MaxItemsPerBatch && batcher.MaxItemsPerBatch > 0 ? batcher.MaxItemsPerBatch : Infinity;
  const maxBytes = batcher.MaxInputBytesPerBatch && batcher.MaxInputBytesPerBatch > 0 ? batcher.MaxInputBytesPerBatch : Infinity;
  const withInput = (list: unknown[]): ItemBatch => (batcher.BatchInput !== undefined ? { Items: list, BatchInput: batcher.BatchInput } : { Items: list });
  const out: { first: number; batch: ItemBatch }[] = [];
  let current: unknown[] = [];
  let first = 0;
  let bytes = jsonSize(withInput([]));
  items.forEach((item, i) => {
    const size = jsonSize(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + 1 + size > maxBytes)) {
      out.push({ first, batch: withInput(current) });
      current = [];
      bytes = jsonSize(withInput([]));
    }
    if (current.length === 0) first = i;
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(item);
  });
  if (current.length > 0) out.push({ first, batch: withInput(current) });
  return out;
}

/** Splits records into groups of at most `maxBytes` of JSON each (at least one record per group). */
export function recordGroups<T>(records: T[], maxBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const r of records) {
    const size = jsonSize(r) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 2;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Problems of a distributed Map's own fields, each naming the field and the reason; empty when it can run. */
export function distributedMapProblems(state: Obj): string[] {
  const errors: string[] = [];
  const wholeAtLeast = (v: unknown, min: number): boolean => Number.isInteger(v) && (v as number) >= min;
  const reader = state.ItemReader;
  if (reader !== undefined) {
    if (!isObj(reader)) errors.push('ItemReader must be an object');
    else {
      if (!ITEM_SOURCE_TYPES.includes(reader.SourceType as ItemSourceType)) errors.push(`ItemReader.SourceType must be one of ${ITEM_SOURCE_TYPES.join(', ')}, not ${JSON.stringify(reader.SourceType)}`);
      const params = reader.SourceParameters;
      if (!isObj(params)) errors.push('ItemReader needs SourceParameters with Bucket');
      else {
        const has = (k: string): boolean => params[k] !== undefined || params[`${k}.$`] !== undefined;
        if (!has('Bucket')) errors.push('ItemReader.SourceParameters needs Bucket');
        if (reader.SourceType !== 'OSS_OBJECTS' && !has('ObjectName')) errors.push(`ItemReader.SourceParameters needs ObjectName for ${String(reader.SourceType)}`);
      }
      const headers = isObj(reader.ReaderConfig) ? reader.ReaderConfig.CSVHeaders : undefined;
      if (headers !== undefined && !(Array.isArray(headers) && headers.length > 0 && headers.every((h) => typeof h === 'string'))) errors.push('ItemReader.ReaderConfig.CSVHeaders must be a non-empty list of strings');
    }
  }
  const batcher = state.ItemBatcher;
  if (batcher !== undefined) {
    if (!isObj(batcher)) errors.push('ItemBatcher must be an object');
    else {
      for (const f of ['MaxItemsPerBatch', 'MaxInputBytesPerBatch']) if (batcher[f] !== undefined && !wholeAtLeast(batcher[f], 1)) errors.push(`ItemBatcher.${f} must be a whole number ≥ 1`);
      if (batcher.MaxItemsPerBatch === undefined && batcher.MaxInputBytesPerBatch === undefined) errors.push('ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch');
    }
  }
  const writer = state.ResultWriter;
  if (writer !== undefined) {
    const params = isObj(writer) ? writer.Parameters : undefined;
    if (!isObj(params) || (params.Bucket === undefined && params['Bucket.$'] === undefined)) errors.push('ResultWriter needs Parameters with Bucket (and Prefix)');
  }
  if (state.ToleratedFailureCount !== undefined && !wholeAtLeast(state.ToleratedFailureCount, 0)) errors.push('ToleratedFailureCount must be a whole number ≥ 0');
  const pct = state.ToleratedFailurePercentage;
  if (pct !== undefined && !(typeof pct === 'number' && pct >= 0 && pct <= 100)) errors.push('ToleratedFailurePercentage must be a number from 0 to 100');
  const maxItems = maxItemsOf(state.MaxItems);
  if (state.MaxItems !== undefined && maxItems === undefined) errors.push('MaxItems must be a whole number ≥ 1 or {MaxNumber: n}');
  if (state.ItemConstructor !== undefined && !isObj(state.ItemConstructor)) errors.push('ItemConstructor must be an object');
  return errors;
}

/** MaxItems as a number (`MaxItems: n` or `MaxItems: {MaxNumber: n}`), undefined when absent or malformed. */
export function maxItemsOf(v: unknown): number | undefined {
  const n = isObj(v) ? v.MaxNumber : v;
  return Number.isInteger(n) && (n as number) >= 1 ? (n as number) : undefined;
}
