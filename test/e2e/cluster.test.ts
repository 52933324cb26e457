// The production-shaped cluster of scripts/cluster.sh (PostgreSQL, the Temporal
// server built from its Go module, the Web UI server): a real job run by a
// `shardflow worker` process against its frontend, seen through ffprobe, the
// plain Temporal CLI and the UI server's HTTP API, and a job that outlives a
// PostgreSQL restart. Runs only when SHARDFLOW_CLUSTER_ADDRESS names the
// cluster's frontend, as `npm run test:cluster` sets it after
// `scripts/cluster.sh up`; the cluster is opt-in, so it is skipped otherwise,
// under CI=true too.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { PHASE_SEARCH_ATTRIBUTE } from '../../src/core/names';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { makeClip } from '../support/clips';
import { clusterScript } from '../support/clusterScript';
import { audioOf, videoOf } from '../support/ffprobe';
import { waitForPhase } from '../support/jobWaits';
import { temporalCli } from '../support/temporalCli';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { spawnWorker, type WorkerProcess } from '../support/workerProcess';

const CLUSTER = process.env.SHARDFLOW_CLUSTER_ADDRESS;
const UI_URL = process.env.SHARDFLOW_CLUSTER_UI_URL ?? 'http://127.0.0.1:8243';
// `scripts/test.sh` with SHARDFLOW_CLUSTER_TESTS=1 (CI) starts the cluster: then a missing address fails.
const asked = process.env.SHARDFLOW_CLUSTER_TESTS === '1';
const cluster = CLUSTER || asked
  ? {}
  : { skip: 'SHARDFLOW_CLUSTER_ADDRESS is not set: `npm run test:cluster` starts the cluster (scripts/cluster.sh up) and sets it' };

/** The output's video and audio as ffprobe decodes them: every frame there, both streams as long as the clip. */
function assertTranscoded(file: string, seconds: number, fps: number): void {
  const video = videoOf(file);
  assert.equal(video.codec, 'h264');
  assert.equal(video.frames, seconds * fps, `${file}: decoded frames`);
  assert.ok(Math.abs(video.duration - seconds) <= 1 / fps + 0.002, `${file}: video lasts ${video.duration} s`);
  const audio = audioOf(file);
  assert.equal(audio?.codec, 'aac', `${file}: audio stream`);
  assert.ok(Math.abs(audio!.duration - seconds) < 0.05, `${file}: audio lasts ${audio!.duration} s`);
}

/** The parts of a DescribeWorkflowExecution answer the test reads, as JSON from the CLI and the UI server. */
interface Described {
  workflowExecutionInfo: {
    execution: { workflowId: string };
    type: { name: string };
    status: string;
    searchAttributes?: { indexedFields?: Record<string, unknown> };
  };
}

describe('the cluster of scripts/cluster.sh', () => {
  let env: TestEnv | undefined;
  let worker: WorkerProcess | undefined;
  before(async () => {
    if (!CLUSTER) {
      if (asked) throw new Error('SHARDFLOW_CLUSTER_TESTS=1 but SHARDFLOW_CLUSTER_ADDRESS is unset: scripts/test.sh sets it after scripts/cluster.sh up');
      return;
    }
    env = await createTestEnv({ noWorkers: true, env: { TEMPORAL_ADDRESS: CLUSTER!, TEMPORAL_NAMESPACE: 'default' } });
    worker = spawnWorker(env.config);
    await worker.ready;
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await env?.close();
  });
  const clusterEnv = (): TestEnv => env!;

  it('runs a job on a worker process, visible to the Temporal CLI and the UI server', { ...cluster, timeout: 240_000 }, async () => {
    const env = clusterEnv();
    const clip = makeClip({ seconds: 4, fps: 25, gop: 25 });
    const handle = await env.start({ source: `file://${clip}`, output: `file://${env.dir}/out/`, renditions: ['mp4-360p'], segmentSeconds: 2 });
    const result = (await handle.result()) as TranscodeResult;
    assert.equal(result.shards, 2);
    assertTranscoded(path.join(env.dir, 'out', 'mp4-360p.mp4'), 4, 25);

    const described = await temporalCli(env, ['workflow', 'describe', '--workflow-id', handle.workflowId, '--output', 'json']);
    assert.equal(described.code, 0, described.stderr);
    const cliView = JSON.parse(described.stdout) as Described;
    assert.equal(cliView.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    assert.equal(cliView.workflowExecutionInfo.type.name, 'transcodeVideo');

    const res = await fetch(`${UI_URL}/api/v1/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);
    assert.equal(res.status, 200, `the UI server answers for ${handle.workflowId}`);
    const uiView = (await res.json()) as Described;
    assert.equal(uiView.workflowExecutionInfo.execution.workflowId, handle.workflowId);
    assert.equal(uiView.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    // Visibility (the temporal_visibility database) holds shardflow's search attribute.
    const phase = uiView.workflowExecutionInfo.searchAttributes?.indexedFields?.[PHASE_SEARCH_ATTRIBUTE];
    assert.ok(phase, `${PHASE_SEARCH_ATTRIBUTE} is set: ${JSON.stringify(uiView.workflowExecutionInfo.searchAttributes)}`);
  });

  it('finishes a job whose PostgreSQL restarts while its shards encode', { ...cluster, timeout: 300_000 }, async () => {
    const env = clusterEnv();
    const clip = makeClip({ seconds: 8, fps: 25, gop: 25, width: 1280, height: 720 });
    const handle: WorkflowHandle = await env.start({ source: `file://${clip}`, output: `file://${env.dir}/chaos/`, renditions: ['mp4-720p'], segmentSeconds: 2 });
    await waitForPhase(handle, 'transcoding');
    const restart = await clusterScript(['restart', 'postgresql']);
    assert.equal(restart.code, 0, restart.output);
    assert.match(restart.output, /postgresql restarted/);
    // The restart fell inside the job, not after it.
    assert.equal((await handle.describe()).status.name, 'RUNNING');

    const result = (await handle.result()) as TranscodeResult;
    assert.equal(result.shards, 4);
    assertTranscoded(path.join(env.dir, 'chaos', 'mp4-720p.mp4'), 8, 25);
  });
});
