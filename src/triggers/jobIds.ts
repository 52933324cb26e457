// Workflow ids derived from what identifies one version of one object, so the
// same event delivered again maps to the same id and Temporal starts it once.
// A readable start (trigger name, file name) keeps them recognisable in the Web UI.
import { createHash } from 'node:crypto';
import { slug, splitKey } from './objectKey';

/** 80 bits: collisions stay out of reach for any number of objects a bucket holds. */
function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 20);
}

/** oss-clip-3f9a…: one id per bucket, key and content (etag). */
export function objectJobId(triggerName: string, bucket: string, key: string, etag: string): string {
  return `${triggerName}-${slug(splitKey(key).base)}-${digest(['object', bucket, key, etag])}`;
}

/** A queue message without its own jobId: redeliveries keep the message id; without one the body decides. */
export function queueJobId(triggerName: string, messageId: string | undefined, job: unknown): string {
  return `${triggerName}-mns-${digest(messageId ? ['message', messageId] : ['body', job])}`;
}

/** watch-clip-…: one id per file path, size and modification time. */
export function fileJobId(absPath: string, size: number, mtimeMs: number): string {
  return `watch-${slug(splitKey(absPath).base)}-${digest(['file', absPath, size, mtimeMs])}`;
}
