// Builds the activity set a worker registers. The object's keys are the
// activity names that show in the workflow history.
import type { ActivityDeps } from './deps';
import { cleanWorkArea } from './cleanWorkArea';
import { encodeAudio } from './encodeAudio';
import { encodeShard } from './encodeShard';
import { httpRequest } from './httpRequest';
import { invokeFunction } from './invokeFunction';
import { mergeRendition } from './mergeRendition';
import { prepareWorkArea } from './prepareWorkArea';
import { probeSource } from './probeSource';
import { publishOutputs } from './publishOutputs';
import { splitSource } from './splitSource';
import { verifyRendition } from './verifyRendition';

export function createActivities(deps: ActivityDeps) {
  return {
    prepareWorkArea: prepareWorkArea(deps),
    probeSource: probeSource(deps),
    splitSource: splitSource(deps),
    encodeShard: encodeShard(deps),
    encodeAudio: encodeAudio(deps),
    mergeRendition: mergeRendition(deps),
    verifyRendition: verifyRendition(deps),
    publishOutputs: publishOutputs(deps),
    cleanWorkArea: cleanWorkArea(deps),
    // Flow Task states. They run on the flow's own (main) queue, bounded by the main worker's concurrency;
    // invokeFunction holds its ffmpeg runs to mediaConcurrency itself.
    invokeFunction: invokeFunction(deps),
    httpRequest: httpRequest(),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Activities that run ffmpeg and belong on the media task queue. */
export const MEDIA_ACTIVITIES = ['probeSource', 'splitSource', 'encodeShard', 'encodeAudio', 'mergeRendition', 'verifyRendition'] as const;
