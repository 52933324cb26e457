// OSS multipart upload that survives interruption. The checkpoint (upload id
// and finished parts) is saved beside the source file after every part, and
// each try, in this call or a later upload of the same file, resumes from it:
// only the parts not yet stored are sent again.
import type OSS from 'ali-oss';
import { promises as fs } from 'node:fs';
import { unquoteEtag } from './remoteKeys';

export interface ResumableUpload {
  url: string;
  bucket: string;
  key: string;
  file: string;
  size: number;
  mtimeMs: number;
  partSize: number;
  parallel: number;
  /** A new client bound to the bucket, per try. */
  client: () => OSS;
  /** Runs one try with the store's retries and error mapping; its failures carry `nonRetryable`. */
  call: <T>(op: () => Promise<T>) => Promise<T>;
}

/** What the checkpoint file holds: enough to resume, and to tell whether it still belongs to this upload. */
interface SavedCheckpoint {
  bucket: string;
  key: string;
  size: number;
  mtimeMs: number;
  uploadId: string;
  partSize: number;
  doneParts: { number: number; etag: string }[];
}

/** Uploads `file` in parts and returns the object's etag. */
export async function uploadResumably(u: ResumableUpload): Promise<string | undefined> {
  const checkpointFile = `${u.file}.oss-upload.json`;
  const identity = { bucket: u.bucket, key: u.key, size: u.size, mtimeMs: u.mtimeMs };
  let saved = await readCheckpoint(checkpointFile, identity);
  let writing = Promise.resolve();
  const save = (cp: SavedCheckpoint): Promise<void> => {
    saved = cp;
    // Parts finish concurrently; chaining the writes keeps the file whole and the newest state last.
    writing = writing.then(() => writeJsonAtomically(checkpointFile, cp)).catch(() => undefined);
    return writing;
  };
  try {
    const result = await u.call(async () => {
      const checkpoint = saved && {
        file: u.file,
        name: u.key,
        fileSize: u.size,
        partSize: saved.partSize,
        uploadId: saved.uploadId,
        doneParts: [...saved.doneParts],
      };
      try {
        return await u.client().multipartUpload(u.key, u.file, {
          checkpoint: checkpoint as OSS.Checkpoint | undefined,
          partSize: u.partSize,
          parallel: u.parallel,
          progress: async (_share: number, cp?: OSS.Checkpoint) => {
            if (cp?.uploadId) await save({ ...identity, uploadId: cp.uploadId, partSize: cp.partSize, doneParts: [...cp.doneParts] });
          },
        });
      } catch (err) {
        // Parts still in flight are left to finish: they land in the checkpoint, and one the next try sends
        // again is merely stored twice under the same upload id.
        if ((err as { name?: string }).name === 'abort') {
          // The store forgot the upload id (aborted or expired): start a new upload on the next try.
          saved = undefined;
          await writing;
          await fs.rm(checkpointFile, { force: true });
          throw Object.assign(new Error(`the multipart upload of ${u.url} was aborted by the store`), { status: -1 });
        }
        throw err;
      }
    });
    await writing;
    await fs.rm(checkpointFile, { force: true });
    return unquoteEtag((result as { etag?: string }).etag ?? (result.res.headers as Record<string, string>).etag);
  } catch (err) {
    await writing;
    if ((err as { nonRetryable?: boolean }).nonRetryable && saved) {
      // A denial or rejection will not pass on a later try either: free the stored parts.
      await u.client().abortMultipartUpload(u.key, saved.uploadId).catch(() => undefined);
      await fs.rm(checkpointFile, { force: true });
    }
    throw err;
  }
}

async function readCheckpoint(file: string, identity: Omit<SavedCheckpoint, 'uploadId' | 'partSize' | 'doneParts'>): Promise<SavedCheckpoint | undefined> {
  try {
    const cp = JSON.parse(await fs.readFile(file, 'utf8')) as SavedCheckpoint;
    const same = cp.bucket === identity.bucket && cp.key === identity.key && cp.size === identity.size && cp.mtimeMs === identity.mtimeMs;
    return same && typeof cp.uploadId === 'string' && Array.isArray(cp.doneParts) ? cp : undefined;
  } catch {
    return undefined;
  }
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temp = `${file}.tmp`;
  await fs.writeFile(temp, JSON.stringify(value));
  await fs.rename(temp, file);
}
