// The functions a worker serves to flow Task states, by the names flow
// definitions use in their resources (acs:fc:::functions/<name>).
import type { FlowFunction, FunctionDeps } from './videoSample';
import { afterProcess } from './afterProcess';
import { extractAudio } from './extractAudio';
import { merge } from './merge';
import { split } from './split';
import { transcode } from './transcode';

export { flowStoreFromEnv, type FlowFunction, type FlowStore, type FunctionContext, type FunctionDeps } from './videoSample';

export function createFunctions(deps: FunctionDeps): Map<string, FlowFunction> {
  return new Map<string, FlowFunction>([
    ['split', split(deps)],
    ['transcode', transcode(deps)],
    ['merge', merge(deps)],
    ['after-process', afterProcess(deps)],
    ['extract-audio', extractAudio(deps)],
  ]);
}
