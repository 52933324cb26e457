// How the remote stores spell prefixes and etags, shared by oss:// and s3://.

/** Listing and deleting below "a/b" means below the folder "a/b/", never "a/bc", as on the file:// store. */
export function folderPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** Stores quote etags in headers and listings; ObjectInfo carries them bare. */
export function unquoteEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** Both stores delete at most 1000 keys per request. */
export function deleteBatches(keys: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < keys.length; i += 1000) out.push(keys.slice(i, i + 1000));
  return out;
}
