// Builds the pipeline's stage activities. The object's keys are the activity
// names that show in the workflow history (see Activities in core/contracts).
import type { Activities } from '../core/contracts';
import type { MapRunActivities } from '../core/flow/distributedMap';
import type { ActivityDeps } from './deps';
import { cleanWorkArea } from './cleanWorkArea';
import { encodeAudio } from './encodeAudio';
import { encodeShard } from './encodeShard';
import { extractSubtitles } from './extractSubtitles';
import { httpRequest } from './httpRequest';
import { mergeRendition } from './mergeRendition';
import { packageStream } from './packageStream';
import { prepareWorkArea } from './prepareWorkArea';
import { probeSource } from './probeSource';
import { publishOutputs } from './publishOutputs';
import { splitSource } from './splitSource';
import { verifyRendition } from './verifyRendition';
import { verifySeams } from './verifySeams';
import { verifyStream } from './verifyStream';

/** Every activity but invokeFunction and a distributed Map's, which live with the flow functions (src/functions). */
export type StageActivities = Omit<Activities, 'invokeFunction' | keyof MapRunActivities>;

export function createStageActivities(deps: ActivityDeps): StageActivities {
  return {
    prepareWorkArea: prepareWorkArea(deps),
    probeSource: probeSource(deps),
    splitSource: splitSource(deps),
    encodeShard: encodeShard(deps),
    encodeAudio: encodeAudio(deps),
    mergeRendition: mergeRendition(deps),
    verifyRendition: verifyRendition(deps),
    verifySeams: verifySeams(deps),
    packageStream: packageStream(deps),
    verifyStream: verifyStream(deps),
    extractSubtitles: extractSubtitles(deps),
    publishOutputs: publishOutputs(deps),
    cleanWorkArea: cleanWorkArea(deps),
    httpRequest: httpRequest(),
  };
}

export type { Activities };
export { MEDIA_ACTIVITIES } from '../core/contracts';
