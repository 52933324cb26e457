// Picks the store that serves a URL. oss:// and s3:// arrive with their backends.
import { invalidJob } from '../errors';
import { FileStore } from './fileStore';
import type { ObjectStore } from './objectStore';
import { parseObjectUrl } from './objectUrl';

export class Stores {
  readonly file: FileStore;

  constructor(localRoot: string) {
    this.file = new FileStore(localRoot);
  }

  for(url: string): ObjectStore {
    const { scheme } = parseObjectUrl(url);
    if (scheme === 'file' || scheme === 'local') return this.file;
    throw invalidJob(`${scheme}:// storage is not available in this worker yet; use file:// URLs or keys in the local store`);
  }
}
