// The sample's `after-process`: removes video_proc_dir (shards, encodes,
// merged files, the split plan). Only directories split made are accepted, so
// an event cannot point it at anything else.
import { checkWorkAreaUrl } from '../activities/workAreaGuard';
import { procDirOf, procRootOf, type FlowFunction, type FunctionDeps } from './videoSample';

export function afterProcess(deps: FunctionDeps): FlowFunction {
  return async function afterProcess(event) {
    const procDir = procDirOf(deps, event);
    await checkWorkAreaUrl(deps.stores, procRootOf(deps), procDir);
    const deleted = await deps.stores.for(procDir).deletePrefix(procDir);
    return { video_proc_dir: procDir, deleted };
  };
}
