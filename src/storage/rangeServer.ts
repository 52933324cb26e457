// Serves one remote object to ffmpeg over loopback HTTP, fetching from the
// store only the byte ranges ffmpeg reads. A shard encoder that seeks into a
// remote source then reads its own part of it (and the container's index),
// never a download of the whole object; the store's credentials stay in this
// process, and the URL ffmpeg sees holds no signature.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { RangedObject } from './objectStore';

/**
 * The most one response carries, and one read from the store. ffmpeg asks for everything from an offset
 * and drops the connection when it seeks; a longer response would have the store send what the socket
 * buffers took (megabytes) for nothing. ffmpeg asks again where a response ended (its -reconnect, which
 * sourceInput sets for these URLs), so a seek costs at most one block of unused bytes.
 */
export const RANGE_BLOCK_BYTES = 1 << 20;
/**
 * The first block at a new offset. A demuxer reads a few kilobytes of header or index at each seek, so a read
 * starts small and grows while ffmpeg keeps asking where the last block ended, to a sixteenth of what it has
 * read in a row: the block it drops when it stops is then at most a sixteenth of what it used.
 */
export const FIRST_BLOCK_BYTES = 64 << 10;

export interface RangeServer {
  /** http://127.0.0.1:PORT/<random>/<name>: the object, for ffmpeg's -i. */
  url: string;
  /** Bytes fetched from the store so far. */
  bytesFetched(): number;
  /** The first error the store gave: ffmpeg only sees a broken connection, the caller reports this instead. */
  storeError(): unknown;
  close(): Promise<void>;
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against an object of `size` bytes; undefined when absent or unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : undefined;
}

export async function serveRanges(object: RangedObject, name: string, blockBytes = RANGE_BLOCK_BYTES): Promise<RangeServer> {
  const size = object.info.size;
  // Other local users can reach a loopback port; an unguessable path keeps them from reading through it.
  const route = `/${randomBytes(16).toString('hex')}/${encodeURIComponent(path.posix.basename(name) || 'source')}`;
  let fetched = 0;
  let failed: unknown;
  // Where the last response ended and where that run of back-to-back reads began.
  let lastEnd = -1;
  let runStart = 0;
  const open = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    if (req.url !== route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const asked = req.headers.range;
    const wanted = asked === undefined ? { start: 0, end: size - 1 } : parseRange(asked, size);
    if (!wanted) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const inRun = lastEnd >= 0 && wanted.start === lastEnd + 1;
    const block = Math.min(blockBytes, Math.max(FIRST_BLOCK_BYTES, inRun ? Math.floor((wanted.start - runStart) / 16) : 0));
    const range = { start: wanted.start, end: Math.min(wanted.end, wanted.start + block - 1) };
    if (req.method === 'GET') {
      if (!inRun) runStart = range.start;
      lastEnd = range.end;
    }
    const length = size === 0 ? 0 : range.end - range.start + 1;
    res.writeHead(size === 0 ? 200 : 206, {
      'Accept-Ranges': 'bytes',
      'Content-Length': String(length),
      'Content-Type': 'application/octet-stream',
      ...(size === 0 ? {} : { 'Content-Range': `bytes ${range.start}-${range.end}/${size}` }),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    open.add(res);
    res.once('close', () => open.delete(res));
    object.read(range.start, range.end).then(
      (block) => {
        fetched += block.length;
        res.end(block);
      },
      // The connection breaks mid-response, which ffmpeg reports as a read error.
      (err: unknown) => {
        failed ??= err;
        res.destroy(err as Error);
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${route}`,
    bytesFetched: () => fetched,
    storeError: () => failed,
    async close() {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
