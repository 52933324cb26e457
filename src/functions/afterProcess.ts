// The sample's `after-process`: removes video_proc_dir (shards, encodes,
// merged files, the split plan). Only directories split made are accepted, so
// an event cannot point it at anything else.
import { procDirOf, type FlowFunction, type FunctionDeps } from './videoSample';

export function afterProcess(deps: FunctionDeps): FlowFunction {
  return async function afterProcess(event) {
    const procDir = procDirOf(deps, event);
    const deleted = await deps.stores.for(procDir).deletePrefix(procDir);
    return { video_proc_dir: procDir, deleted };
  };
}
