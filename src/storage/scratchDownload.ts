// Brings a remote object into an activity's scratch folder for ffmpeg. Bytes
// stream to disk in ranged reads, so memory stays flat whatever the object's
// size, and a broken transfer repeats one range, not the whole object.
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { ObjectInfo, RangedObject } from './objectStore';
import { withRetry, type RetryOptions } from './retry';

/** What a backend supplies; errors from readRange are its client's own, failure() turns them into ours. */
export interface RangeSource {
  /** Size and etag, already mapped to our failures. */
  head(url: string): Promise<ObjectInfo>;
  /** Writes bytes start..end (inclusive) of the object, as long as it still has `etag`, into `sink` and ends it. */
  readRange(url: string, etag: string | undefined, start: number, end: number, sink: Writable): Promise<void>;
  isTransient(err: unknown): boolean;
  failure(url: string, err: unknown): Error;
}

/** A range that arrived shorter or longer than asked: the connection broke or the server ignored Range. */
class RangeMismatch extends Error {}

/**
 * Downloads `url` into `scratchDir` and returns the file. The name carries the object's name (ffmpeg looks at
 * extensions) and a hash of URL and etag, so asking twice for an unchanged object in one scratch folder reuses
 * the first download.
 */
export async function downloadToScratch(
  source: RangeSource,
  url: string,
  scratchDir: string,
  chunkBytes: number,
  retry: RetryOptions,
): Promise<string> {
  const info = await source.head(url);
  const tag = createHash('sha256').update(`${url}\n${info.etag ?? ''}`).digest('hex').slice(0, 12);
  const base = path.posix.basename(url).replace(/[^\w.-]/g, '_').slice(-80) || 'object';
  const file = path.join(scratchDir, `${tag}-${base}`);
  const existing = await fs.stat(file).catch(() => undefined);
  if (existing?.isFile() && existing.size === info.size) return file;

  const temp = `${file}.download`;
  await fs.mkdir(scratchDir, { recursive: true });
  await fs.writeFile(temp, '');
  try {
    for (let start = 0; start < info.size; start += chunkBytes) {
      const end = Math.min(info.size, start + chunkBytes) - 1;
      await withRetry(
        () => readInto(source, url, info.etag, temp, start, end),
        (err) => err instanceof RangeMismatch || source.isTransient(err),
        retry,
      ).catch((err: unknown) => {
        throw err instanceof RangeMismatch ? err : source.failure(url, err);
      });
    }
    // An error body a server wrote past the last range would otherwise stay at the end of the file.
    await fs.truncate(temp, info.size);
    await fs.rename(temp, file);
    return file;
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

async function readInto(source: RangeSource, url: string, etag: string | undefined, file: string, start: number, end: number): Promise<void> {
  const sink = createWriteStream(file, { flags: 'r+', start });
  const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
  try {
    await source.readRange(url, etag, start, end, sink);
  } finally {
    if (!sink.closed) sink.destroy();
    await closed;
  }
  const expected = end - start + 1;
  if (sink.bytesWritten !== expected) {
    throw new RangeMismatch(`reading ${url}: bytes ${start}-${end} arrived as ${sink.bytesWritten} bytes, expected ${expected}`);
  }
}

/** Collects what a range read writes, for reads small enough to hold (a block of a ranged read). */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    done();
  }
}

/** The object's bytes by range, each read checked for length and retried whole when it breaks off. */
export async function openRanged(source: RangeSource, url: string, retry: RetryOptions): Promise<RangedObject> {
  const info = await source.head(url);
  return {
    info,
    read: (start, end) =>
      withRetry(
        async () => {
          const sink = new Collector();
          await source.readRange(url, info.etag, start, end, sink);
          const expected = end - start + 1;
          // A server that ignores Range sends the whole object: take the part asked for only when it is exact.
          if (sink.bytes !== expected) throw new RangeMismatch(`reading ${url}: bytes ${start}-${end} arrived as ${sink.bytes} bytes, expected ${expected}`);
          return Buffer.concat(sink.chunks, sink.bytes);
        },
        (err) => err instanceof RangeMismatch || source.isTransient(err),
        retry,
      ).catch((err: unknown) => {
        throw err instanceof RangeMismatch ? err : source.failure(url, err);
      }),
  };
}
