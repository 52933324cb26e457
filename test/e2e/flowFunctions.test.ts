// Flows calling a user's functions through a functions map, on the real dev
// server with a real worker: FC Node.js handlers (async and callback style)
// and an FC Python handler in child processes, one writing to OSS with the
// OSS SDK; a built-in under a deployed name; and a name nothing serves, which
// fails validation and, forced past it, fails the run at once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import { loadDefinitionFile } from '../../src/cli/flowFile';
import { cliRunner } from '../support/cliRunner';
import { OssServer } from '../support/ossServer';
import { setProcessEnv } from '../support/processEnv';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/flowFunctions');
const MAP = path.join(FIXTURES, 'functions.yaml');
const FUNCTION_KEY = { accessKeyId: 'fn-role-key', accessKeySecret: 'fn-role-secret' };
const WORKER_ENV = {
  SHARDFLOW_FLOW_FUNCTIONS_MAP: MAP,
  FC_REGION: 'cn-hangzhou',
  ALIBABA_CLOUD_ACCESS_KEY_ID: FUNCTION_KEY.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: FUNCTION_KEY.accessKeySecret,
};

let env: TestEnv;
let oss: OssServer;
let restoreEnv: () => void = () => undefined;

before(async () => {
  oss = await OssServer.start({ credentials: [FUNCTION_KEY], buckets: ['flow-bucket'] });
  // The in-process worker reads the map and the credentials it hands functions from its environment.
  restoreEnv = setProcessEnv(WORKER_ENV);
  env = await createTestEnv();
});

after(async () => {
  await env?.close();
  await oss?.close();
  restoreEnv();
});

/** A work directory as split leaves one, with two files in it, for the mapped after-process to delete. */
function procDir(name: string): { url: string; dir: string } {
  const dir = path.join(env.dir, 'work', 'video-proc', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'plan.json'), '{}');
  writeFileSync(path.join(dir, 'shard_000.mp4'), 'x');
  return { url: `${env.config.workRoot}video-proc/${name}/`, dir };
}

async function activityCount(id: string): Promise<number> {
  const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  return events.filter((e) => e.activityTaskScheduledEventAttributes).length;
}

describe('flow functions from a functions map', () => {
  const run = (args: string[]) => cliRunner(env)(args);

  it('CloudFlow: node async and callback handlers, a python handler, OSS from a node function, a typed error caught, a mapped built-in', { timeout: 120_000 }, async () => {
    const work = procDir(`cloudflow-${randomUUID().slice(0, 8)}`);
    const file = path.join(FIXTURES, 'cloudflow.yaml');
    let res = await run(['flow', 'validate', file, '--functions', MAP]);
    assert.equal(res.code, 0, res.stderr);
    const id = `flow-fn-${randomUUID()}`;
    const input = { name: 'Ada', text: 'one two three four', oss_endpoint: oss.endpoint, video_proc_dir: work.url };
    res = await run(['flow', 'run', file, '--functions', MAP, '--id', id, '--input', JSON.stringify(input), '--wait', '--json']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const { status, output } = JSON.parse(res.stdout);
    assert.equal(status, 'SUCCEEDED');
    const prev = output.previous;
    // greet-async (async style) saw a Buffer event and ran in a process of its own.
    assert.equal(prev.greeting, 'hello Ada');
    assert.notEqual(prev.node.pid, process.pid);
    assert.deepEqual(prev.node.function, { name: 'greet-async', handler: 'greet.handler', memory: 512, timeout: 900 });
    assert.match(prev.node.requestId, new RegExp(`^${id}\\.`));
    // greet-callback (callback style, under its ARN) answered JSON text.
    assert.deepEqual(prev.legacy, { function: 'greet-callback', handler: 'legacy.main', service: 'demo' });
    // word-count (Python) counted and saw FC's context.
    assert.equal(prev.words, 4);
    assert.equal(prev.python.function, 'word-count');
    assert.equal(prev.python.memory, 256);
    assert.equal(prev.python.has_credentials, true);
    // oss-put wrote through ali-oss with the context's credentials, to the bucket its map env names.
    assert.equal(prev.written.bucket, 'flow-bucket');
    assert.equal((await oss.read('flow-bucket', prev.written.key)).toString(), 'hello Ada');
    // quota-fails threw QuotaExceeded: Retry matched it once, then Catch.
    assert.equal(output.error, 'QuotaExceeded');
    // video-flow_after-process is the built-in after-process.
    assert.deepEqual(output.cleanup, { video_proc_dir: work.url, deleted: 2 });
    assert.equal(existsSync(work.dir), false);
    // Greet, Legacy, Count, Store, Quota twice, Cleanup.
    assert.equal(await activityCount(id), 7);
  });

  it('FDL: the same handlers under service ARNs, a Python error caught by name, a hang killed at the step timeout', { timeout: 120_000 }, async () => {
    const work = procDir(`fdl-${randomUUID().slice(0, 8)}`);
    const pidFile = path.join(env.dir, `hang-${randomUUID().slice(0, 8)}.pid`);
    const file = path.join(FIXTURES, 'fdl.yaml');
    const id = `flow-fn-${randomUUID()}`;
    const input = { name: 'Bo', text: 'a b', video_proc_dir: work.url, pidFile };
    const res = await run(['flow', 'run', file, '--functions', MAP, '--id', id, '--input', JSON.stringify(input), '--wait', '--json']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const { output } = JSON.parse(res.stdout);
    assert.equal(output.greeting, 'hello Bo');
    assert.equal(output.node.service.name, 'demo');
    assert.equal(output.legacy.function, 'greet-callback');
    assert.equal(output.words, 2);
    assert.equal(output.skipped, undefined, 'the catch of ValueError went to "hang", past "skipped"');
    assert.equal(output.deleted, 2);
    assert.equal(existsSync(work.dir), false);
    // The hanging handler's process was killed when its step timed out.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it('a function nothing serves fails validate and run before anything runs, and at run time fails once, for good', { timeout: 60_000 }, async () => {
    const file = path.join(FIXTURES, 'unknown-cloudflow.yaml');
    const expected = /state "Publish": unknown resource acs:fc:::services\/video\/functions\/video-flow_publish: no function named "video-flow_publish" in service "video"/;
    let res = await run(['flow', 'validate', file, '--functions', MAP]);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, expected);
    const refused = `flow-fn-${randomUUID()}`;
    res = await run(['flow', 'run', file, '--functions', MAP, '--id', refused, '--wait']);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, expected);
    res = await run(['flow', 'describe', refused]);
    assert.equal(res.code, 4, 'no execution was started');

    // Forced past validation: the worker refuses it on the first call, and the Retry on FnF.ALL never sees it.
    const forced = `flow-fn-${randomUUID()}`;
    const args: RunFlowInput = { definition: loadDefinitionFile(file), input: {} };
    const started = Date.now();
    const handle = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: forced, args: [args] });
    const err = await handle.result().then(
      () => assert.fail('the run succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    const cause = err.cause as ApplicationFailure;
    assert.equal(cause.type, 'InvalidJob');
    assert.match(cause.message, /state "Publish": function "video-flow_publish" in service video is not registered with this worker; it serves split, .*greet-async/);
    assert.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`);
    assert.equal(await activityCount(forced), 1);
  });
});
