// Deletes a job's work area, after success, failure or cancellation alike;
// never anything that is not strictly below the work root.
import { whileHeartbeating } from './activityKit';
import type { ActivityDeps } from './deps';
import type { CleanInput } from '../core/contracts';
import { checkWorkAreaUrl } from './workAreaGuard';

export function cleanWorkArea({ config, stores }: ActivityDeps) {
  return async function cleanWorkArea({ workUrl }: CleanInput): Promise<number> {
    await checkWorkAreaUrl(stores, config.workRoot, workUrl);
    return whileHeartbeating(() => stores.for(workUrl).deletePrefix(workUrl));
  };
}
