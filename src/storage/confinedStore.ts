// A store that touches nothing outside a fixed set of URL prefixes. The
// function handler serves callers it does not otherwise trust with the
// function's own storage role, so every URL a call reads, writes, lists or
// deletes must lie below the work root or a prefix the operator allowed.
import * as path from 'node:path';
import { permanentError, ErrorType } from '../core/errors';
import type { ObjectInfo, ObjectStore, RangedObject } from './objectStore';
import { fileUrl, isWithin, parseObjectUrl } from '../core/objectUrl';

export class UrlConfinement {
  private readonly prefixes: string[];

  /** `localRoot` resolves bare local-store keys, so a key and its file:// form are judged alike. */
  constructor(
    prefixes: string[],
    private readonly localRoot: string,
    /** Names the setting to change, for the refusal message. */
    private readonly setting: string,
  ) {
    this.prefixes = prefixes.map((p) => this.canonical(p));
  }

  get allowed(): readonly string[] {
    return this.prefixes;
  }

  private canonical(url: string): string {
    const u = parseObjectUrl(url);
    return u.scheme === 'local' ? fileUrl(path.join(this.localRoot, u.key)) : url;
  }

  /** Throws a non-retryable AccessDenied failure unless `url` lies below an allowed prefix. */
  check(url: string): void {
    let inside = false;
    try {
      const canonical = this.canonical(url);
      inside = this.prefixes.some((p) => isWithin(canonical, p));
    } catch {
      inside = false;
    }
    if (!inside) {
      throw permanentError(
        ErrorType.AccessDenied,
        `${JSON.stringify(url)} is outside what this function may touch: the work root and ${this.setting} (${this.prefixes.join(', ') || 'nothing else'})`,
      );
    }
  }
}

export class ConfinedStore implements ObjectStore {
  /** Present when the inner store reads by range. */
  readonly openRanged?: (url: string) => Promise<RangedObject>;

  constructor(
    private readonly inner: ObjectStore,
    private readonly confinement: UrlConfinement,
  ) {
    const open = inner.openRanged?.bind(inner);
    if (open) {
      this.openRanged = (url) => {
        this.ok(url);
        return open(url);
      };
    }
  }

  private ok(...urls: string[]): void {
    for (const u of urls) this.confinement.check(u);
  }

  head(url: string): Promise<ObjectInfo> {
    this.ok(url);
    return this.inner.head(url);
  }

  exists(url: string): Promise<boolean> {
    this.ok(url);
    return this.inner.exists(url);
  }

  localPath(url: string, scratchDir: string): Promise<string> {
    this.ok(url);
    return this.inner.localPath(url, scratchDir);
  }

  putFile(url: string, localFile: string): Promise<ObjectInfo> {
    this.ok(url);
    return this.inner.putFile(url, localFile);
  }

  putText(url: string, text: string): Promise<ObjectInfo> {
    this.ok(url);
    return this.inner.putText(url, text);
  }

  copy(fromUrl: string, toUrl: string): Promise<void> {
    this.ok(fromUrl, toUrl);
    return this.inner.copy(fromUrl, toUrl);
  }

  delete(url: string): Promise<void> {
    this.ok(url);
    return this.inner.delete(url);
  }

  list(prefixUrl: string): Promise<ObjectInfo[]> {
    this.ok(prefixUrl);
    return this.inner.list(prefixUrl);
  }

  deletePrefix(prefixUrl: string): Promise<number> {
    this.ok(prefixUrl);
    return this.inner.deletePrefix(prefixUrl);
  }
}
