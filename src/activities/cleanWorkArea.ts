// Deletes a job's work area, after success, failure or cancellation alike.
import type { ActivityDeps } from './deps';
import type { CleanInput } from '../core/contracts';

export function cleanWorkArea({ stores }: ActivityDeps) {
  return async function cleanWorkArea({ workUrl }: CleanInput): Promise<number> {
    return stores.for(workUrl).deletePrefix(workUrl);
  };
}
