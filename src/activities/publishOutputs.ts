// Copies verified outputs to the output prefix, manifest last: a prefix with
// a manifest.json is complete. On failure it removes what it copied.
import { joinObjectUrl } from '../core/objectUrl';
import { whileHeartbeating } from './activityKit';
import type { ActivityDeps } from './deps';
import type { PublishInput, PublishResult } from '../core/contracts';

export function publishOutputs({ stores }: ActivityDeps) {
  return async function publishOutputs(input: PublishInput): Promise<PublishResult> {
    return whileHeartbeating(() => publish(stores, input));
  };
}

/** Segment copies in flight at once: a remote store's cost is per request more than per byte. */
const PARALLEL_COPIES = 8;

/** Runs `fn` over `items`, at most `limit` at a time; after a failure starts nothing new, waits for the rest, throws the first. */
async function eachAtMost<T>(limit: number, items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.err;
}

async function publish(stores: ActivityDeps['stores'], input: PublishInput): Promise<PublishResult> {
  const out = stores.for(input.output);
  const written: string[] = [];
  try {
    for (const f of input.files) {
      const to = joinObjectUrl(input.output, input.names[f.rendition]);
      // Stores.copy, not the source store's copy: the work area and the output may be different stores
      // (file:// work area, oss:// or s3:// output).
      await stores.copy(f.url, to);
      written.push(to);
    }
    if (input.folder) {
      const prefix = input.folder.url.endsWith('/') ? input.folder.url : `${input.folder.url}/`;
      const last = input.folder.last;
      const names = (await stores.for(prefix).list(prefix)).map((o) => o.url.slice(prefix.length)).filter((n) => !last.includes(n));
      const copy = async (name: string): Promise<void> => {
        const to = joinObjectUrl(input.output, name);
        await stores.copy(joinObjectUrl(prefix, name), to);
        written.push(to);
      };
      // Segments first (several at a time), playlists after them, one by one in their order: a player that finds
      // a playlist finds every segment it names.
      await eachAtMost(PARALLEL_COPIES, names, copy);
      for (const name of last) await copy(name);
    }
    const manifestUrl = joinObjectUrl(input.output, 'manifest.json');
    await out.putText(manifestUrl, `${JSON.stringify(input.manifest, null, 2)}\n`);
    return { manifestUrl, urls: written };
  } catch (err) {
    await Promise.allSettled(written.map((url) => out.delete(url)));
    throw err;
  }
}
