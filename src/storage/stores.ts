// Picks the store that serves a URL. Remote stores are built on first use from
// the worker's environment, so a worker that only sees file:// URLs needs no
// cloud settings, and a missing one fails the activity naming the variable.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { FileStore } from './fileStore';
import { ConfinedStore, type UrlConfinement } from './confinedStore';
import { MeteredStore, type StoreObserver } from './meteredStore';
import type { ObjectStore } from './objectStore';
import { parseObjectUrl } from '../core/objectUrl';
import { makeScratchDir } from './scratchDirs';
import type { OssStore } from './ossStore';
import type { S3Store } from './s3Store';

export interface StoresOptions {
  /** Where OSS and S3 settings come from; the process environment by default. */
  env?: NodeJS.ProcessEnv;
  /** Scratch space for copies between stores; the system temp folder by default. */
  scratchDir?: string;
  /** Told of every byte read or written, for metrics. */
  observer?: StoreObserver;
  /** When set, every URL any store is asked about must lie within it (the function handler's callers). */
  confinement?: UrlConfinement;
}

export class Stores {
  readonly file: FileStore;
  private oss?: OssStore;
  private s3?: S3Store;

  constructor(localRoot: string, private readonly options: StoresOptions = {}) {
    this.file = new FileStore(localRoot);
  }

  for(url: string): ObjectStore {
    const store = this.backend(url);
    const metered = this.options.observer ? new MeteredStore(store, this.options.observer) : store;
    return this.options.confinement ? new ConfinedStore(metered, this.options.confinement) : metered;
  }

  private backend(url: string): ObjectStore {
    const { scheme } = parseObjectUrl(url);
    const env = this.options.env ?? process.env;
    switch (scheme) {
      case 'file':
      case 'local':
        return this.file;
      // Loaded here, not at the top: ali-oss and the AWS SDK take about a second to load, which only workers
      // that touch those schemes should pay.
      case 'oss': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports
        const { OssStore, ossSettingsFromEnv } = require('./ossStore') as typeof import('./ossStore');
        return (this.oss ??= new OssStore(ossSettingsFromEnv(env)));
      }
      case 's3': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports
        const { S3Store, s3SettingsFromEnv } = require('./s3Store') as typeof import('./s3Store');
        return (this.s3 ??= new S3Store(s3SettingsFromEnv(env)));
      }
    }
  }

  /**
   * Copies an object to any store: the store's own copy when both URLs are in one store, else through a local
   * file (so a job can read from one store and publish to another).
   */
  async copy(fromUrl: string, toUrl: string): Promise<void> {
    const from = this.for(fromUrl);
    const to = this.for(toUrl);
    if (this.backend(fromUrl) === this.backend(toUrl)) return to.copy(fromUrl, toUrl);
    const dir = await makeScratchDir(this.options.scratchDir ?? os.tmpdir(), 'copy');
    try {
      // A file:// source hands back its own path. That is safe: only a remote `to` gets here with it, and remote
      // stores read the file without moving it (FileStore.putFile would move it, but a remote source always
      // downloads into `dir` first).
      const file = await from.localPath(fromUrl, dir);
      await to.putFile(toUrl, file);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}
