// The whole activity set a worker (or the function handler) serves: the
// pipeline's stages plus invokeFunction, which runs the flow functions. Kept
// apart so activities/ and functions/ depend on each other in one direction only.
import type { Activities } from './core/contracts';
import { createStageActivities } from './activities';
import type { ActivityDeps } from './activities/deps';
import { invokeFunction } from './functions/invokeFunction';
import { mapRunActivities } from './functions/mapRunActivities';

export function createActivities(deps: ActivityDeps): Activities {
  return {
    ...createStageActivities(deps),
    // Flow Task states run on the flow's own (main) queue, bounded by the main worker's concurrency;
    // invokeFunction holds its ffmpeg runs to mediaConcurrency itself.
    invokeFunction: invokeFunction(deps),
    // A distributed Map's items and results, in storage.
    ...mapRunActivities(deps),
  };
}
