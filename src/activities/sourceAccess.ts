// How an activity hands a source object to ffmpeg. A local file is read in
// place. A remote object in a store that reads by range is served over
// loopback (src/storage/rangeServer.ts), so a shard encoder that seeks fetches
// about its share and nothing lands on disk; other stores download to scratch.
import type { ObjectStore } from '../storage/objectStore';
import { serveRanges } from '../storage/rangeServer';

export interface OpenedSource {
  /** What ffmpeg opens: a local path or the range server's URL. */
  input: string;
  /** Bytes fetched from a remote store by range; undefined for a local or downloaded file. */
  bytesRead(): number | undefined;
}

/** Runs `use` with the source opened for ffmpeg, and closes what was opened for it. */
export async function withSource<T>(store: ObjectStore, url: string, scratch: string, use: (source: OpenedSource) => Promise<T>): Promise<T> {
  if (!store.openRanged) {
    const file = await store.localPath(url, scratch);
    return use({ input: file, bytesRead: () => undefined });
  }
  const server = await serveRanges(await store.openRanged(url), url);
  try {
    return await use({ input: server.url, bytesRead: () => server.bytesFetched() });
  } catch (err) {
    // ffmpeg saw a broken connection; the store's own failure says what happened (missing, denied, changed).
    throw server.storeError() ?? err;
  } finally {
    await server.close();
  }
}
