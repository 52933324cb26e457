// The real-world clips beside the checkout (<repo>/../shared/media, see its
// MANIFEST.tsv). They are not in the repository; tests that use them skip
// when they are absent, except under CI=true.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TestOptions } from 'node:test';
import { inCI, needs } from './required';

/** <repo>/../shared/media, or SHARDFLOW_SHARED_MEDIA. */
export const SHARED_MEDIA = process.env.SHARDFLOW_SHARED_MEDIA ?? path.resolve(__dirname, '../../../../shared/media');

/** The path of a shared clip (`name` may include a folder, e.g. `corpus/x.mp4`); throws when it is missing. */
export function sharedClip(name: string): string {
  const file = path.join(SHARED_MEDIA, name);
  if (!existsSync(file)) {
    throw new Error(`shared clip ${file} is missing${inCI() ? ' (required under CI=true)' : ''}; put the clips in ${SHARED_MEDIA} or set SHARDFLOW_SHARED_MEDIA`);
  }
  return file;
}

/** Test options for a test that uses these shared clips: skip when any is missing, unless under CI. */
export function needsSharedClips(...names: string[]): TestOptions {
  const missing = names.filter((n) => !existsSync(path.join(SHARED_MEDIA, n)));
  const reason = existsSync(SHARED_MEDIA)
    ? `shared clip(s) ${missing.join(', ')} missing from ${SHARED_MEDIA}`
    : `${SHARED_MEDIA} is missing (the shared clips; or set SHARDFLOW_SHARED_MEDIA)`;
  return needs(missing.length === 0, 'the shared clips', reason);
}
