// Shards dispatched to functions: through the local FC API server (real
// @alicloud/fc20230330 client, signature checks, real `shardflow fc-handler`
// processes) and through plain HTTP /invoke, checked against an in-process run.
// Calls are signed with the shared secret, and the functions touch only the
// shared work root and the clips folder, as a deployment would configure them.
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { dispatchSettings } from '../../src/dispatch';
import { fcInvoker } from '../../src/dispatch/invokers';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import { RUN_FLOW_WORKFLOW } from '../../src/core/flow/flowNames';
import { startWorkers } from '../../src/worker';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { makeClip } from '../support/clips';
import { spawnHandler, startFcApiServer, TEST_FC_SECRET, type FcApiServer } from '../support/fcApiServer';
import { probeFile } from '../support/ffprobe';
import { eventually } from '../support/until';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const KEY = { accessKeyId: 'LTAI-test-dispatch', accessKeySecret: 'dispatch-secret' };
const FUNCTION = 'shardflow-media';
/** Work areas every worker and function of this file share, as they would share a bucket prefix. */
const base = mkdtempSync(path.join(os.tmpdir(), 'shardflow-dispatch-'));
const sharedWork = `file://${base}/work/`;
/** The function's own data dir: its local store holds the flow test's "media" bucket. */
const functionData = path.join(base, 'function');

function fcEnv(server: FcApiServer, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    FC_ENDPOINT: `http://${server.endpoint}`,
    FC_REGION: 'cn-hangzhou',
    FC_FUNCTION_NAME: FUNCTION,
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    FC_FUNCTION_TIMEOUT_SECONDS: '60',
    SHARDFLOW_FC_SECRET: TEST_FC_SECRET,
    ...extra,
  };
}

/** What a function is allowed: the shared work root, the clips folder and the flow test's bucket. */
function functionEnv(clipsDir: string): NodeJS.ProcessEnv {
  return { SHARDFLOW_DATA_DIR: functionData, SHARDFLOW_WORK_URL: sharedWork, SHARDFLOW_FC_ALLOWED_URLS: `file://${clipsDir}/,media/` };
}

/** Starts an environment whose media worker dispatches per `settings`. */
async function dispatchingEnv(settings: ReturnType<typeof dispatchSettings>): Promise<TestEnv> {
  const env = await createTestEnv({ noWorkers: true, mediaConcurrency: 2 });
  env.config.workRoot = sharedWork;
  env.workers = await startWorkers({ config: env.config, dispatch: settings });
  return env;
}

function renditionFacts(result: TranscodeResult) {
  return result.renditions.map((r) => {
    const facts = probeFile(new URL(r.url).pathname);
    const video = facts.streams.find((s) => s.type === 'video')!;
    return { name: r.name, frames: video.frames, duration: Math.round(facts.duration * 100) / 100 };
  });
}

/** ffmpeg processes whose parent is one of `pids`. */
function ffmpegsUnder(pids: number[]): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, ppid, comm]) => comm === 'ffmpeg' && pids.includes(Number(ppid)))
    .map(([pid]) => Number(pid));
}

/** A CloudFlow of one Task state calling `functionName` with `input`. */
function startOneTaskFlow(env: TestEnv, functionName: string, input: Record<string, unknown>) {
  const definition = {
    Type: 'StateMachine',
    SpecVersion: 'v1',
    Name: `remote-${functionName}`,
    StartAt: 'Call',
    States: [{ Name: 'Call', Type: 'Task', Resource: `acs:fc:::functions/${functionName}`, End: true }],
  };
  return env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-${functionName}-${randomUUID()}`, args: [{ definition, input }] });
}

function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let e = err as Error | undefined; e; e = (e as { cause?: Error }).cause) if (e instanceof ApplicationFailure) found = e;
  return found;
}

describe('dispatching media activities to functions', { timeout: 300_000 }, () => {
  let fc: FcApiServer;
  let local: TestEnv;
  let viaFc: TestEnv;
  const source = makeClip({ seconds: 4, fps: 25, gop: 25, width: 320, height: 180 });
  const job = (env: TestEnv, name: string): TranscodeJobInput => ({
    source: `file://${source}`,
    output: `file://${path.join(env.dir, name)}/`,
    renditions: ['mp4-360p'],
    segmentSeconds: 1,
  });
  let reference: ReturnType<typeof renditionFacts>;

  before(async () => {
    [fc, local] = await Promise.all([
      startFcApiServer({ credentials: [KEY], functionName: FUNCTION, instances: 2, functionEnv: functionEnv(path.dirname(source)) }),
      createTestEnv({ mediaConcurrency: 2 }),
    ]);
    viaFc = await dispatchingEnv(dispatchSettings({ mode: 'fc' }, fcEnv(fc)));
    reference = renditionFacts(await local.run(job(local, 'out-local')));
  });
  after(async () => {
    await Promise.all([viaFc?.close(), local?.close()]);
    await fc?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('gives the in-process result through FC, retrying a 429 and a crashed instance', async () => {
    fc.inject({ kind: 'status', status: 429, code: 'ResourceThrottled' });
    fc.inject({ kind: 'crash', afterMs: 30 });
    const from = fc.calls.length;
    const result = await viaFc.run(job(viaFc, 'out-fc'));
    assert.deepEqual(renditionFacts(result), reference);
    const calls = fc.calls.slice(from);
    assert.ok(calls.some((c) => c.fault === 'status' && c.status === 429), 'a call was throttled');
    assert.ok(calls.some((c) => c.fault === 'crash' && c.errorType === 'UnhandledInvocationError'), 'an instance crashed mid-call');
    const shards = calls.filter((c) => c.activity === 'encodeShard' && c.status === 200 && !c.errorType).length;
    assert.equal(shards, result.shards, 'every shard ran in a function');
    assert.ok(calls.some((c) => c.activity === 'encodeAudio' && !c.errorType), 'audio ran in a function');
  });

  it('refuses a bad signature with 403 and FC error JSON', async () => {
    const res = await fetch(`http://${fc.endpoint}/2023-03-30/functions/${FUNCTION}/invocations`, {
      method: 'POST',
      headers: { authorization: `ACS3-HMAC-SHA256 Credential=${KEY.accessKeyId},SignedHeaders=host,Signature=${'0'.repeat(64)}` },
      body: '{}',
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { Code: string }).Code, 'InvalidSignature');
    // A well-formed signature made with the wrong secret, from the real client.
    const target = { ...dispatchSettings({ mode: 'fc' }, fcEnv(fc)).fc!, accessKeySecret: 'not-the-secret' };
    await assert.rejects(fcInvoker(target, 60)({ activity: 'encodeShard', input: {} }, new AbortController().signal), (e: unknown) => {
      return e instanceof ApplicationFailure && e.type === 'FC.InvalidSignature' && !e.nonRetryable && /HTTP 403/.test(e.message);
    });
  });

  it('fails a flow non-retryably with the function message for InvalidMedia', async () => {
    const env = await dispatchingEnv(dispatchSettings({ mode: 'fc', activities: 'invokeFunction' }, fcEnv(fc)));
    try {
      // In the function's local store, bucket "media": what the flow's split reads.
      mkdirSync(path.join(functionData, 'store', 'media'), { recursive: true });
      writeFileSync(path.join(functionData, 'store', 'media', 'not-a-video.mp4'), 'this is text, not a video\n');
      const from = fc.calls.length;
      const handle = await startOneTaskFlow(env, 'split', { oss_bucket_name: 'media', video_key: 'not-a-video.mp4' });
      const err = await handle.result().then(
        () => assert.fail('the flow should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      const failure = innermostApplicationFailure(err);
      assert.equal(failure?.type, 'InvalidMedia');
      assert.match(failure!.message, /not-a-video\.mp4/);
      assert.equal(fc.calls.slice(from).filter((c) => c.activity === 'invokeFunction').length, 1, 'not retried');
    } finally {
      await env.close();
    }
  });

  it('stops waiting on the function when the job is cancelled: the call is aborted and its ffmpeg stops', async () => {
    const slowSource = makeClip({ seconds: 20, fps: 25, gop: 25, width: 640, height: 360 });
    const slow = { name: 'slow', container: 'mp4' as const, video: { codec: 'h264' as const, preset: 'veryslow' }, audio: { codec: 'aac' as const } };
    const handle = await viaFc.start({ source: `file://${slowSource}`, output: `file://${path.join(viaFc.dir, 'out-cancel')}/`, renditions: [slow], segmentSeconds: 4 });
    assert.ok(await eventually(() => ffmpegsUnder(fc.handlerPids).length > 0, 30, 200), 'a handler was running ffmpeg');
    await handle.cancel();
    await assert.rejects(handle.result(), (e: unknown) => e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure);
    // The call hears of the cancel in a heartbeat's answer, which may come after the job has ended.
    assert.ok(await eventually(() => fc.calls.some((c) => c.aborted), 15, 200), 'the FC call was aborted');
    await eventually(() => ffmpegsUnder(fc.handlerPids).length === 0, 15, 200);
    assert.deepEqual(ffmpegsUnder(fc.handlerPids), [], "the handlers' ffmpeg stopped");
  });

  it("dispatches a flow Task's function call to FC, keeping the function's error type", async () => {
    const env = await dispatchingEnv(dispatchSettings({ mode: 'fc', activities: 'invokeFunction' }, fcEnv(fc)));
    try {
      const before = fc.calls.filter((c) => c.activity === 'invokeFunction').length;
      const handle = await startOneTaskFlow(env, 'no-such-function', {});
      await assert.rejects(handle.result(), (e: unknown) => {
        const failure = innermostApplicationFailure(e);
        return failure?.type === 'InvalidJob' && /no-such-function.*is not registered with this worker/.test(failure.message);
      });
      assert.equal(fc.calls.filter((c) => c.activity === 'invokeFunction').length, before + 1, 'the call went through Function Compute');
    } finally {
      await env.close();
    }
  });

  it('gives the same result through a plain HTTP /invoke service', async () => {
    const handler: { child: ChildProcess; url: string } = await spawnHandler(functionEnv(path.dirname(source)));
    const env = await dispatchingEnv(dispatchSettings({ mode: 'http', endpoint: handler.url }, { SHARDFLOW_FC_SECRET: TEST_FC_SECRET }));
    try {
      assert.deepEqual(renditionFacts(await env.run(job(env, 'out-http'))), reference);
    } finally {
      await env.close();
      handler.child.kill('SIGTERM');
    }
  });
});
