// The one storage interface every backend implements. Activities move bytes
// only through it, so a job can read from one store and write to another.

export interface ObjectInfo {
  url: string;
  size: number;
  etag?: string;
  /** When the object was last written; filled in by list(), for telling stale objects apart. */
  lastModified?: Date;
}

/** Byte ranges of one remote object, as it was when opened. */
export interface RangedObject {
  info: ObjectInfo;
  /** Bytes start..end (inclusive); a broken transfer is retried, a changed object fails. */
  read(start: number, end: number): Promise<Buffer>;
}

export interface ObjectStore {
  /** Size and etag; throws a MissingObject failure when absent. */
  head(url: string): Promise<ObjectInfo>;
  exists(url: string): Promise<boolean>;
  /**
   * A local file with the object's bytes, for ffmpeg to read. Stores on local
   * disk return the object's own path; remote stores download into `scratchDir`.
   */
  localPath(url: string, scratchDir: string): Promise<string>;
  /**
   * Remote stores: the object's bytes by range, so a reader fetches only the part it needs instead of a
   * download of the whole object. Absent on stores whose localPath is the object itself.
   */
  openRanged?(url: string): Promise<RangedObject>;
  /** Stores a local file at `url`. Readers never see a half-written object. */
  putFile(url: string, localFile: string): Promise<ObjectInfo>;
  putText(url: string, text: string): Promise<ObjectInfo>;
  copy(fromUrl: string, toUrl: string): Promise<void>;
  delete(url: string): Promise<void>;
  /** Objects below a prefix, in key order. */
  list(prefixUrl: string): Promise<ObjectInfo[]>;
  /** Deletes everything below a prefix; returns how many objects went. */
  deletePrefix(prefixUrl: string): Promise<number>;
}
