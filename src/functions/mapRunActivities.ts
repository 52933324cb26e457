// The storage side of a distributed Map run. planMapRun reads the items
// (an OSS listing, a JSON list or a CSV object, through the flow store the
// built-ins use) once and stores them in chunks in the work area; each chunk
// child reads its own chunk, and writes its results to the ResultWriter's
// folder; finishMapRun writes the manifest and removes the chunks. History
// carries counts and URLs, never the item list.
import { promises as fs } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { withScratch } from '../activities/activityKit';
import type { ActivityDeps } from '../activities/deps';
import { invalidJob, permanentError, ErrorType } from '../core/errors';
import { csvRecords, csvRows, CsvError } from '../core/flow/csvRows';
import {
  CHUNK_BYTES,
  MANIFEST_NAME,
  MAP_RUNS_FOLDER,
  resultFolderKey,
  type ItemChunk,
  type ItemReaderSpec,
  type MapRunActivities,
} from '../core/flow/distributedMap';
import { jsonSize } from '../core/flow/flowErrors';
import { fileUrl, isWithin, joinObjectUrl, parseObjectUrl, relativeKey } from '../core/objectUrl';
import { bucketUrl, flowStoreFromEnv, procDirName, type FlowStore } from './videoSample';

function chunkUrl(runUrl: string, chunk: number): string {
  return joinObjectUrl(runUrl, `items/${String(chunk).padStart(6, '0')}.json`);
}

export function mapRunActivities(deps: ActivityDeps, flowStore: FlowStore = flowStoreFromEnv()): MapRunActivities {
  const { stores, config } = deps;
  const runsRoot = joinObjectUrl(config.workRoot, `${MAP_RUNS_FOLDER}/`);

  const readText = (url: string): Promise<string> => withScratch(config.scratchDir, async (scratch) => fs.readFile(await stores.for(url).localPath(url, scratch), 'utf8'));

  /** The key of a listed object inside its bucket (the local store lists file:// URLs below the bucket's folder). */
  const keyInBucket = (bucket: string, url: string): string => {
    if (flowStore !== 'local') return parseObjectUrl(url).key;
    return relativeKey(url, fileUrl(stores.file.pathOf(bucketUrl(flowStore, bucket, '')))) ?? url;
  };

  async function readItems(stateName: string, reader: ItemReaderSpec): Promise<unknown[]> {
    const where = `state "${stateName}": ItemReader ${reader.SourceType}`;
    if (reader.SourceType === 'OSS_OBJECTS') {
      // Stores list folders; a prefix may end inside a name ("photos/2024-"), so list its folder and filter.
      const prefix = (reader.Prefix ?? '').replace(/^\/+/, '');
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
      const listed = await stores.for(bucketUrl(flowStore, reader.Bucket, folder)).list(bucketUrl(flowStore, reader.Bucket, folder));
      return listed
        .map((o) => ({ o, key: keyInBucket(reader.Bucket, o.url) }))
        .filter(({ key }) => key.startsWith(prefix))
        .map(({ o, key }) => ({ Key: key, Size: o.size, ...(o.etag ? { ETag: o.etag } : {}), ...(o.lastModified ? { LastModified: o.lastModified.toISOString() } : {}) }));
    }
    const url = bucketUrl(flowStore, reader.Bucket, reader.ObjectName ?? '');
    const text = await readText(url);
    if (reader.SourceType === 'OSS_CSV') {
      try {
        const rows = csvRows(text).filter((r) => !(r.length === 1 && r[0] === ''));
        if (reader.CSVHeaders) return csvRecords(rows, reader.CSVHeaders, 1);
        if (rows.length === 0) throw new CsvError('no header row');
        return csvRecords(rows.slice(1), rows[0], 2);
      } catch (err) {
        if (err instanceof CsvError) throw invalidJob(`${where}: ${url} is not CSV: ${err.message}`);
        throw err;
      }
    }
    if (reader.SourceType === 'OSS_INVENTORY_FILES') return inventoryItems(where, reader.Bucket, url, text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw invalidJob(`${where}: ${url} is not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw invalidJob(`${where}: ${url} holds a JSON ${parsed === null ? 'null' : typeof parsed}, not a list`);
    return parsed;
  }

  /** An OSS inventory manifest (in the reader's bucket) lists gzipped CSV files of fileSchema's columns; each row is an item. */
  async function inventoryItems(where: string, bucket: string, manifestUrl: string, text: string): Promise<unknown[]> {
    let manifest: { files?: { key: string }[]; fileSchema?: string };
    try {
      manifest = JSON.parse(text);
    } catch (err) {
      throw invalidJob(`${where}: ${manifestUrl} is not an inventory manifest (JSON): ${(err as Error).message}`);
    }
    if (!Array.isArray(manifest.files) || typeof manifest.fileSchema !== 'string') throw invalidJob(`${where}: ${manifestUrl} has no files list and fileSchema`);
    const columns = manifest.fileSchema.split(',').map((c) => c.trim());
    const items: unknown[] = [];
    for (const f of manifest.files) {
      const url = bucketUrl(flowStore, bucket, f.key);
      const bytes = await withScratch(config.scratchDir, async (scratch) => fs.readFile(await stores.for(url).localPath(url, scratch)));
      const csv = (f.key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      try {
        // Inventory files URL-encode object keys; items carry the key itself.
        for (const row of csvRecords(csvRows(csv).filter((r) => !(r.length === 1 && r[0] === '')), columns, 1)) items.push('Key' in row ? { ...row, Key: decodeURIComponent(row.Key) } : row);
      } catch (err) {
        if (err instanceof CsvError) throw invalidJob(`${where}: inventory file ${url}: ${err.message}`);
        throw err;
      }
    }
    return items;
  }

  const resultUrl = (input: { writer: { Bucket: string; Prefix: string }; mapRunName: string }, name: string): string =>
    bucketUrl(flowStore, input.writer.Bucket, `${resultFolderKey(input.writer, input.mapRunName)}${name}`);

  return {
    async planMapRun(input) {
      const all = await readItems(input.stateName, input.reader);
      const items = input.maxItems !== undefined ? all.slice(0, input.maxItems) : all;
      const runUrl = joinObjectUrl(runsRoot, `${procDirName(input.owner)}.${input.mapRunName}/`);
      // Chunks end at whole units of itemsPerChunk (whole batches) or, for big items, at CHUNK_BYTES.
      let chunks = 0;
      let start = 0;
      while (start < items.length) {
        let end = start;
        let bytes = 0;
        while (end < items.length && end - start < input.itemsPerChunk && (end === start || bytes + jsonSize(items[end]) <= CHUNK_BYTES)) bytes += jsonSize(items[end++]);
        const chunk: ItemChunk = { start, items: items.slice(start, end) };
        await stores.for(runUrl).putText(chunkUrl(runUrl, chunks), JSON.stringify(chunk));
        chunks++;
        start = end;
      }
      return { runUrl, total: items.length, chunks };
    },

    async readMapChunk({ runUrl, chunk }) {
      if (!isWithin(runUrl, runsRoot)) throw invalidJob(`map run folder ${runUrl} is not in this worker's work area ${runsRoot}`);
      const url = chunkUrl(runUrl, chunk);
      if (!(await stores.for(url).exists(url))) throw permanentError(ErrorType.MissingObject, `chunk ${chunk} of map run ${runUrl} (${url}) does not exist: the run's items were removed or the work area differs between workers`);
      return JSON.parse(await readText(url)) as ItemChunk;
    },

    async writeMapResults(input) {
      const url = resultUrl(input, input.fileName);
      await stores.for(url).putText(url, JSON.stringify(input.records));
    },

    async mapRunYield() {},

    async finishMapRun(input) {
      if (input.writer && input.counts) {
        const folder = resultUrl({ writer: input.writer, mapRunName: input.mapRunName }, '');
        const files = (await stores.for(folder).list(folder))
          .map((o) => ({ name: keyInBucket(input.writer!.Bucket, o.url).split('/').pop()!, size: o.size, key: keyInBucket(input.writer!.Bucket, o.url) }))
          .filter((f) => f.name !== MANIFEST_NAME);
        const of = (status: string) => files.filter((f) => f.name.startsWith(`${status}_`)).map((f) => ({ Key: f.key, Size: f.size }));
        const manifest = {
          MapRunName: input.mapRunName,
          DestinationBucket: input.writer.Bucket,
          ItemCounts: input.counts,
          ResultFiles: { SUCCEEDED: of('SUCCEEDED'), FAILED: of('FAILED') },
        };
        const url = resultUrl({ writer: input.writer, mapRunName: input.mapRunName }, MANIFEST_NAME);
        await stores.for(url).putText(url, JSON.stringify(manifest, null, 2));
      }
      if (input.runUrl) {
        if (!isWithin(input.runUrl, runsRoot)) throw invalidJob(`map run folder ${input.runUrl} is not in this worker's work area ${runsRoot}`);
        await stores.for(input.runUrl).deletePrefix(input.runUrl);
      }
    },
  };
}
