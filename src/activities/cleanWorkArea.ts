// Deletes a job's work area, after success, failure or cancellation alike;
// never anything that is not strictly below the work root.
import type { ActivityDeps } from './deps';
import type { CleanInput } from '../core/contracts';
import { checkWorkAreaUrl } from './workAreaGuard';

export function cleanWorkArea({ config, stores }: ActivityDeps) {
  return async function cleanWorkArea({ workUrl }: CleanInput): Promise<number> {
    await checkWorkAreaUrl(stores, config.workRoot, workUrl);
    return stores.for(workUrl).deletePrefix(workUrl);
  };
}
