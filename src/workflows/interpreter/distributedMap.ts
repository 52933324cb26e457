// A CloudFlow Map in distributed mode. The items never pass through one
// history as a whole: an activity reads them (ItemReader) and stores them in
// chunks; each chunk runs in a child workflow that reads its own chunk, runs
// the Processor on every item (or batch), and writes its results to the
// ResultWriter's folder. Past CHILDREN_PER_WORKFLOW chunks a level of group
// children fans out further, so every history stays a few thousand events.
import { CancellationScope, executeChild, isCancellation, proxyActivities, proxyLocalActivities, uuid4, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { CloudFlowState, CloudFlowStates } from '../../core/flow/definition';
import {
  batchItems,
  EXCEED_TOLERATED_FAILURE,
  itemsPerChunk,
  maxItemsOf,
  recordGroups,
  resultFolderKey,
  toleratedFailures,
  CHILDREN_PER_WORKFLOW,
  MANIFEST_NAME,
  type ItemBatcherSpec,
  type ItemChunk,
  type ItemReaderSpec,
  type MapResultRecord,
  type MapRunActivities,
  type MapRunSummary,
  type ResultWriterSpec,
} from '../../core/flow/distributedMap';
import { evaluatePath, type Scope } from '../../core/flow/expressions';
import { FlowErrorName, jsonSize } from '../../core/flow/flowErrors';
import { MAP_RUN_WORKFLOW, PAYLOAD_LIMIT_BYTES } from '../../core/flow/flowNames';
import type { IntrinsicEnv } from '../../core/flow/intrinsics';
import { construct } from '../../core/flow/mappings';
import { evaluating, flowErrorOf, flowFailure } from './flowFailures';
import { runPool } from './pool';
import type { FlowRuntime } from './runtime';

/** Items in flight when a Map sets no MaxConcurrency: two chunk children of 500. */
const DEFAULT_CONCURRENCY = 1000;
/** Items one chunk child runs at once. */
const CONCURRENCY_PER_CHUNK = 500;
/** Bytes of result records per results object, well below the 2 MB payload limit. */
const RESULT_FILE_BYTES = 1024 * 1024;
/**
 * Items a chunk child starts in one workflow activation. Items of Pass or Choice states finish without waiting
 * for anything, so a whole chunk would run in one activation: seconds of work on a busy machine, past the
 * worker's 5 s limit for one (which ends the worker). A no-op local activity after this many ends the
 * activation without a trip to the server (a timer would wait for the server's timer tick, about a second).
 */
const ITEMS_PER_ACTIVATION = 200;

const WORKFLOW_ENV: IntrinsicEnv = { random: () => Math.random() };

/** What every child of one Map run shares. */
export interface MapRunSpec {
  kind: 'cloudflow';
  stateName: string;
  where: string;
  processor: CloudFlowStates;
  stepLimit: number;
  execution: { name: string; input: unknown };
  mapRunName: string;
  /** Child workflow ids start with this. */
  idBase: string;
  total: number;
  /** Chunks in the work area (ItemReader), or the chunks themselves (ItemsPath: already in history). */
  runUrl?: string;
  inline?: ItemChunk[];
  itemConstructor?: Record<string, unknown>;
  /** The Map's input, for an ItemConstructor that reads `$Input`. */
  mapInput?: unknown;
  batcher?: ItemBatcherSpec;
  concurrencyPerChunk: number;
  parallelChunks: number;
  /** Failures the run tolerates; `toleranceSet` false: the first failure fails the Map with its own error. */
  tolerated: number;
  toleranceSet: boolean;
  writer?: ResultWriterSpec;
  /** Chunk children one workflow starts at most (CHILDREN_PER_WORKFLOW; tests pass fewer to reach the group level). */
  childrenPerWorkflow: number;
}

export interface MapRunPartInput {
  spec: MapRunSpec;
  /** Chunks from..to-1. */
  from: number;
  to: number;
}

export interface MapRunPartResult {
  Succeeded: number;
  Failed: number;
  /** Without a ResultWriter: each item's (or batch's) output in order, a failed one as {Error, Cause}. */
  Items?: unknown[];
}

function activities(stateName: string): MapRunActivities {
  const options: ActivityOptions = {
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '10m',
    retry: { maximumAttempts: 5 },
  };
  const acts = proxyActivities<Record<string, (arg: unknown) => Promise<unknown>>>(options);
  const call = <K extends keyof MapRunActivities>(name: K) =>
    ((arg: unknown) => acts[name].executeWithOptions({ ...options, summary: `${stateName} · ${name}` }, [arg])) as unknown as MapRunActivities[K];
  const local = proxyLocalActivities<Pick<MapRunActivities, 'mapRunYield'>>({ startToCloseTimeout: '1m' });
  return { planMapRun: call('planMapRun'), readMapChunk: call('readMapChunk'), writeMapResults: call('writeMapResults'), finishMapRun: call('finishMapRun'), mapRunYield: local.mapRunYield };
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Runs a distributed Map state; resolves with its output (`{Items}`, or the ResultWriter summary). */
export async function runDistributedMap(rt: FlowRuntime, state: CloudFlowState, scope: Scope, where: string): Promise<unknown> {
  const s = state as unknown as Record<string, unknown>;
  const label = `state "${state.Name}"`;
  const acts = activities(state.Name);
  const mapRunName = uuid4().replace(/-/g, '');
  const maxItems = maxItemsOf(s.MaxItems);
  const batcherRaw = s.ItemBatcher ? obj(s.ItemBatcher) : undefined;
  const batcher: ItemBatcherSpec | undefined = batcherRaw && {
    MaxItemsPerBatch: batcherRaw.MaxItemsPerBatch as number | undefined,
    MaxInputBytesPerBatch: batcherRaw.MaxInputBytesPerBatch as number | undefined,
    ...(batcherRaw.BatchInput !== undefined ? { BatchInput: evaluating(`${label}: ItemBatcher.BatchInput.`, () => construct(batcherRaw.BatchInput, scope, WORKFLOW_ENV)) } : {}),
  };
  const writer = s.ResultWriter ? writerSpec(state, scope) : undefined;
  const perChunk = itemsPerChunk(batcher);

  let runUrl: string | undefined;
  let inline: ItemChunk[] | undefined;
  let total: number;
  let chunks: number;
  if (s.ItemReader) {
    const reader = readerSpec(state, scope);
    const plan = await acts.planMapRun({ stateName: state.Name, owner: workflowInfo().workflowId, mapRunName, reader, itemsPerChunk: perChunk, ...(maxItems ? { maxItems } : {}) });
    ({ runUrl, total, chunks } = plan);
  } else {
    const found = state.ItemsPath ? evaluatePath(state.ItemsPath, scope) : scope.Input;
    if (!Array.isArray(found)) throw flowFailure('FnF.InvalidItems', `${label}: ItemsPath ${state.ItemsPath ?? '$Input'} is not a list`);
    const items = maxItems ? found.slice(0, maxItems) : found;
    inline = [];
    for (let start = 0; start < items.length; start += perChunk) inline.push({ start, items: items.slice(start, start + perChunk) });
    total = items.length;
    chunks = inline.length;
  }

  const limit = state.MaxConcurrency && state.MaxConcurrency > 0 ? state.MaxConcurrency : DEFAULT_CONCURRENCY;
  const concurrencyPerChunk = Math.min(limit, CONCURRENCY_PER_CHUNK);
  const count = s.ToleratedFailureCount as number | undefined;
  const percentage = s.ToleratedFailurePercentage as number | undefined;
  const constructor = s.ItemConstructor ? obj(s.ItemConstructor) : undefined;
  const spec: MapRunSpec = {
    kind: 'cloudflow',
    stateName: state.Name,
    where,
    processor: state.Processor!,
    stepLimit: rt.stepLimit,
    execution: rt.execution,
    mapRunName,
    idBase: `${workflowInfo().workflowId}.map-${mapRunName.slice(0, 12)}`,
    total,
    ...(runUrl ? { runUrl } : { inline }),
    ...(constructor ? { itemConstructor: constructor } : {}),
    // Only an ItemConstructor that reads $Input needs the Map's input in every child's history.
    ...(constructor && JSON.stringify(constructor).includes('$Input') ? { mapInput: scope.Input } : {}),
    ...(batcher ? { batcher } : {}),
    concurrencyPerChunk,
    parallelChunks: Math.max(1, Math.floor(limit / concurrencyPerChunk)),
    tolerated: toleratedFailures(total, count, percentage),
    toleranceSet: count !== undefined || percentage !== undefined,
    ...(writer ? { writer } : {}),
    childrenPerWorkflow: CHILDREN_PER_WORKFLOW,
  };
  try {
    const result = chunks === 0 ? { Succeeded: 0, Failed: 0, Items: [] } : await runChunkRange(spec, 0, chunks);
    const counts = { Total: result.Succeeded + result.Failed, Succeeded: result.Succeeded, Failed: result.Failed };
    if (!writer) {
      if (runUrl) await acts.finishMapRun({ stateName: state.Name, mapRunName, runUrl });
      return { Items: result.Items ?? [] };
    }
    await acts.finishMapRun({ stateName: state.Name, mapRunName, writer, counts, ...(runUrl ? { runUrl } : {}) });
    const folder = resultFolderKey(writer, mapRunName);
    const summary: MapRunSummary = { MapRunName: mapRunName, ItemCounts: counts, ResultWriterDetails: { Bucket: writer.Bucket, Prefix: folder, ObjectName: `${folder}${MANIFEST_NAME}` } };
    return summary;
  } catch (err) {
    // A failed run leaves no chunks behind; the cleanup runs even when the Map was cancelled.
    if (runUrl) await CancellationScope.nonCancellable(() => acts.finishMapRun({ stateName: state.Name, mapRunName, runUrl })).catch(() => undefined);
    throw err;
  }
}

function readerSpec(state: CloudFlowState, scope: Scope): ItemReaderSpec {
  const reader = obj((state as unknown as Record<string, unknown>).ItemReader);
  const params = obj(evaluating(`state "${state.Name}": ItemReader.SourceParameters.`, () => construct(reader.SourceParameters, scope, WORKFLOW_ENV)));
  const headers = obj(reader.ReaderConfig).CSVHeaders as string[] | undefined;
  const text = (field: string): string | undefined => {
    const v = params[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw flowFailure('FnF.InvalidItems', `state "${state.Name}": ItemReader.SourceParameters.${field} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    SourceType: reader.SourceType as ItemReaderSpec['SourceType'],
    Bucket: text('Bucket') ?? '',
    ...(text('Prefix') !== undefined ? { Prefix: text('Prefix') } : {}),
    ...(text('ObjectName') !== undefined ? { ObjectName: text('ObjectName') } : {}),
    ...(headers ? { CSVHeaders: headers } : {}),
  };
}

function writerSpec(state: CloudFlowState, scope: Scope): ResultWriterSpec {
  const raw = obj((state as unknown as Record<string, unknown>).ResultWriter);
  const params = obj(evaluating(`state "${state.Name}": ResultWriter.Parameters.`, () => construct(raw.Parameters, scope, WORKFLOW_ENV)));
  if (typeof params.Bucket !== 'string') throw flowFailure('FnF.InvalidItems', `state "${state.Name}": ResultWriter.Parameters.Bucket must be a string, got ${JSON.stringify(params.Bucket)}`);
  const prefix = typeof params.Prefix === 'string' ? params.Prefix.replace(/^\/+/, '') : '';
  return { Bucket: params.Bucket, Prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

function overThreshold(spec: MapRunSpec, failed: number, first?: string): never {
  const pct = spec.total > 0 ? ((100 * failed) / spec.total).toFixed(1) : '0';
  throw flowFailure(
    EXCEED_TOLERATED_FAILURE,
    `state "${spec.stateName}": ${failed} of ${spec.total} items failed (${pct}%), more than the ${spec.tolerated} tolerated${first ? `; ${first}` : ''}`,
  );
}

/** Chunks from..to-1: one child per chunk, or, past CHILDREN_PER_WORKFLOW chunks, at most that many group children. */
export async function runChunkRange(spec: MapRunSpec, from: number, to: number): Promise<MapRunPartResult> {
  const span = to - from;
  const groupSize = span > spec.childrenPerWorkflow ? Math.ceil(span / spec.childrenPerWorkflow) : 1;
  const parts = Math.ceil(span / groupSize);
  // Each group runs up to parallelChunks of its chunks at once; groups share that bound, so chunks in flight
  // (and items: parallelChunks × concurrencyPerChunk) stay within MaxConcurrency.
  const parallel = groupSize > 1 ? Math.max(1, Math.floor(spec.parallelChunks / groupSize)) : spec.parallelChunks;
  let succeeded = 0;
  let failed = 0;
  const items: unknown[][] = new Array(parts);
  await runPool(parts, parallel, async (p) => {
    const a = from + p * groupSize;
    const b = Math.min(to, a + groupSize);
    const part: MapRunPartInput = { spec: groupSize > 1 ? spec : chunkSpec(spec, a, b), from: a, to: b };
    const result = (await executeChild(MAP_RUN_WORKFLOW, {
      args: [part],
      workflowId: groupSize > 1 ? `${spec.idBase}.g${a}-${b - 1}` : `${spec.idBase}.${a}`,
      taskQueue: workflowInfo().taskQueue,
      staticSummary: `${spec.stateName} · ${groupSize > 1 ? `chunks ${a + 1}-${b}` : `chunk ${a + 1}`} of a ${spec.total}-item run`,
    })) as MapRunPartResult;
    succeeded += result.Succeeded;
    failed += result.Failed;
    if (result.Items) items[p] = result.Items;
    if (failed > spec.tolerated) overThreshold(spec, failed);
  });
  return { Succeeded: succeeded, Failed: failed, ...(spec.writer ? {} : { Items: withinPayload(spec, items.flat(1)) }) };
}

/** Outputs a child hands back without a ResultWriter; past the payload limit the Map fails saying what to do. */
function withinPayload(spec: MapRunSpec, outputs: unknown[]): unknown[] {
  const size = jsonSize(outputs);
  if (size > PAYLOAD_LIMIT_BYTES) {
    throw flowFailure(
      FlowErrorName.PayloadTooLarge,
      `state "${spec.stateName}": its items' outputs are ${size} bytes, over Temporal's ${PAYLOAD_LIMIT_BYTES}-byte payload limit; give the Map a ResultWriter to keep its results in storage`,
    );
  }
  return outputs;
}

/** A chunk child's spec holds only its own inline chunk, not every chunk of the run. */
function chunkSpec(spec: MapRunSpec, from: number, to: number): MapRunSpec {
  return spec.inline ? { ...spec, inline: spec.inline.slice(from, to) } : spec;
}

/** The child workflow's body: a group fans out further; a single chunk runs its items. */
export async function runMapRunPart(rt: FlowRuntime, input: MapRunPartInput, runOne: (item: unknown, where: string) => Promise<unknown>): Promise<MapRunPartResult> {
  const { spec, from, to } = input;
  if (to - from > 1 || (spec.inline !== undefined && spec.inline.length > 1)) return runChunkRange(spec, from, to);
  const chunk = spec.inline ? spec.inline[0] : await activities(spec.stateName).readMapChunk({ runUrl: spec.runUrl!, chunk: from });
  const items = spec.itemConstructor ? chunk.items.map((item, i) => constructItem(rt, spec, item, chunk.start + i)) : chunk.items;
  const units = spec.batcher
    ? batchItems(items, spec.batcher).map((b) => ({ index: chunk.start + b.first, input: b.batch as unknown }))
    : items.map((item, i) => ({ index: chunk.start + i, input: item }));
  const records: MapResultRecord[] = new Array(units.length);
  let failed = 0;
  let firstFailure: string | undefined;
  const pace = activationPacer(ITEMS_PER_ACTIVATION, activities(spec.stateName).mapRunYield);
  await runPool(units.length, spec.concurrencyPerChunk, async (u) => {
    await pace();
    const { index, input: unit } = units[u];
    try {
      records[u] = { Index: index, Input: unit, Output: await runOne(unit, `${spec.where} item ${index + 1}`) };
    } catch (err) {
      if (isCancellation(err) || !spec.toleranceSet) throw err;
      const { error, cause } = flowErrorOf(err);
      records[u] = { Index: index, Input: unit, Error: error, Cause: cause };
      firstFailure ??= `item ${index + 1}: ${error}: ${cause}`;
      if (++failed > spec.tolerated) overThreshold(spec, failed, firstFailure);
    }
  });
  const ok = records.filter((r) => r.Error === undefined);
  const bad = records.filter((r) => r.Error !== undefined);
  if (!spec.writer) return { Succeeded: ok.length, Failed: bad.length, Items: withinPayload(spec, records.map((r) => (r.Error === undefined ? r.Output : { Error: r.Error, Cause: r.Cause }))) };
  const acts = activities(spec.stateName);
  const chunkName = String(from).padStart(6, '0');
  for (const [status, list] of [['SUCCEEDED', ok], ['FAILED', bad]] as const) {
    const groups = recordGroups(list, RESULT_FILE_BYTES);
    for (let g = 0; g < groups.length; g++) {
      await acts.writeMapResults({ stateName: spec.stateName, writer: spec.writer, mapRunName: spec.mapRunName, fileName: `${status}_${chunkName}_${g + 1}.json`, records: groups[g] });
    }
  }
  return { Succeeded: ok.length, Failed: bad.length };
}

/** Resolves at once `budget` times, then after `yieldOnce` (a new activation), which every waiting caller shares. */
function activationPacer(budget: number, yieldOnce: () => Promise<void>): () => Promise<void> {
  let left = budget;
  let pause: Promise<void> | undefined;
  return async () => {
    while (left <= 0) {
      pause ??= yieldOnce().then(() => {
        left = budget;
        pause = undefined;
      });
      await pause;
    }
    left--;
  };
}

/** ItemConstructor: `$Item` is the item, `$Input` the Map's input, `$Context.Map.Item` its index and value. */
function constructItem(rt: FlowRuntime, spec: MapRunSpec, item: unknown, index: number): unknown {
  const context = { Execution: { Name: rt.execution.name, Input: rt.execution.input }, Map: { Item: { Index: index, Value: item } } };
  return evaluating(`state "${spec.stateName}": ItemConstructor.`, () => construct(spec.itemConstructor, { Item: item, Input: spec.mapInput, Context: context, '': item }, WORKFLOW_ENV));
}
