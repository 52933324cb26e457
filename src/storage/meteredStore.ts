// Counts the bytes that pass through a store, for the worker's metrics.
import { promises as fs } from 'node:fs';
import type { ObjectInfo, ObjectStore, RangedObject } from './objectStore';

export interface StoreObserver {
  read(bytes: number): void;
  written(bytes: number): void;
}

export class MeteredStore implements ObjectStore {
  /** Present when the inner store reads by range; counts the bytes of every range. */
  readonly openRanged?: (url: string) => Promise<RangedObject>;

  constructor(
    private readonly inner: ObjectStore,
    private readonly observer: StoreObserver,
  ) {
    const open = inner.openRanged?.bind(inner);
    if (open) {
      this.openRanged = async (url) => {
        const ranged = await open(url);
        return {
          info: ranged.info,
          read: async (start, end) => {
            const bytes = await ranged.read(start, end);
            observer.read(bytes.length);
            return bytes;
          },
        };
      };
    }
  }

  head(url: string): Promise<ObjectInfo> {
    return this.inner.head(url);
  }

  exists(url: string): Promise<boolean> {
    return this.inner.exists(url);
  }

  /** Counts the local file's size (a download, for remote stores): a stat, not a second HEAD request. */
  async localPath(url: string, scratchDir: string): Promise<string> {
    const file = await this.inner.localPath(url, scratchDir);
    this.observer.read((await fs.stat(file)).size);
    return file;
  }

  async putFile(url: string, localFile: string): Promise<ObjectInfo> {
    const info = await this.inner.putFile(url, localFile);
    this.observer.written(info.size);
    return info;
  }

  async putText(url: string, text: string): Promise<ObjectInfo> {
    const info = await this.inner.putText(url, text);
    this.observer.written(info.size);
    return info;
  }

  async copy(fromUrl: string, toUrl: string): Promise<void> {
    await this.inner.copy(fromUrl, toUrl);
    this.observer.written((await this.inner.head(toUrl)).size);
  }

  delete(url: string): Promise<void> {
    return this.inner.delete(url);
  }

  list(prefixUrl: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefixUrl);
  }

  deletePrefix(prefixUrl: string): Promise<number> {
    return this.inner.deletePrefix(prefixUrl);
  }
}
