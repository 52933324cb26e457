// Gives a job its work area and refuses outputs that would land inside one.
import { invalidJob } from '../core/errors';
import { isWithin, joinObjectUrl, parseObjectUrl } from '../core/objectUrl';
import type { ActivityDeps } from './deps';
import type { PrepareInput } from '../core/contracts';

export function prepareWorkArea({ config, stores }: ActivityDeps) {
  return async function prepareWorkArea(input: PrepareInput): Promise<string> {
    const workRoot = config.workRoot;
    if (isWithin(input.output, workRoot) || isWithin(workRoot, input.output)) {
      throw invalidJob(`output prefix ${input.output} overlaps the work area ${workRoot}; choose another output prefix`);
    }
    if (input.output.replace(/\/+$/, '') === input.source) {
      throw invalidJob(`output prefix ${input.output} is the source itself`);
    }
    // A local output that cannot be written fails now, not after the whole transcode.
    const scheme = parseObjectUrl(input.output).scheme;
    if (scheme === 'file' || scheme === 'local') await stores.file.checkWritableFolder(input.output);
    return joinObjectUrl(workRoot, `${input.jobId}/`);
  };
}
