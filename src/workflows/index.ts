// The worker bundles this file: every workflow type it serves.
export { transcodeVideo } from './transcodeVideo';
export { transcodeShardBatch } from './shardBatch';
export { runFlow, runFlowBatch } from './runFlow';
export { runFlowMapRun } from './flowMapRun';
