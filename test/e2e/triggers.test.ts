// Triggers against a real Temporal server: OSS events, EventBridge CloudEvents
// and MNS messages over HTTP, and the watched folder. Jobs go to a private task
// queue with no worker, so they only need to start; every one is checked in
// Temporal itself and terminated at the end.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { watchFolder, type FolderWatcherOptions } from '../../src/triggers/folderWatcher';
import { fileJobId, objectJobId } from '../../src/triggers/jobIds';
import { signedTriggerHeaders, signTrigger } from '../../src/triggers/signature';
import { startOnce, type StartOnceResult } from '../../src/triggers/startOnce';
import { parseTriggerConfig, type TriggerConfig } from '../../src/triggers/triggerConfig';
import { startTriggerServer, type TriggerServer } from '../../src/triggers/triggerServer';
import { cliRunner } from '../support/cliRunner';
import { eventBridgeOssEvent, fcOssEvent, mnsEvent, type ObjectRef } from '../support/ossEvents';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { sleep, until } from '../support/until';

const CLI = path.resolve(__dirname, '../../../bin/shardflow.js');
const SECRET = `test-secret-${randomBytes(8).toString('hex')}`;

interface Reply {
  status: number;
  body: { error?: string; jobs?: (StartOnceResult & { source: string; output: string })[]; skipped?: { where: string; reason: string }[] };
}

let lastTimestamp = 0;
/**
 * Signed headers for one delivery. A sender signs each delivery anew, as a retry does; a timestamp of its own
 * for each (from 4 minutes back, within the allowed skew) keeps two deliveries of one body in the same second
 * apart from a replay.
 */
function signed(bytes: Buffer): Record<string, string> {
  lastTimestamp = Math.max(Math.floor(Date.now() / 1000) - 240, lastTimestamp + 1);
  return signedTriggerHeaders(SECRET, bytes, String(lastTimestamp));
}

/** A raw POST, so oversized and unsigned bodies go out exactly as written. */
function post(url: string, body: unknown, headers: Record<string, string> | 'sign' = 'sign'): Promise<Reply> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const h = headers === 'sign' ? signed(bytes) : headers;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length, ...h } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    // The server may close a refused upload while it is still being sent; its answer is what counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(bytes);
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  await until(what, async () => (await check()) || undefined, ms / 1000, 50);
}

describe('triggers', () => {
  let env: TestEnv;
  let trigger: TriggerConfig;
  let server: TriggerServer;
  /** A run-unique bucket, so reruns against the same server never meet earlier jobs. */
  const bucket = `in-${randomBytes(4).toString('hex')}`;
  const object = (key: string, etag = 'd41d8cd98f00b204e9800998ecf8427e'): ObjectRef => ({ bucket, key, etag });
  /** Every job this file expects to exist, checked against Temporal at the end. */
  const expected = new Set<string>();

  before(async () => {
    env = await createTestEnv({ noWorkers: true });
    trigger = parseTriggerConfig({
      name: 'e2e',
      buckets: [bucket],
      outputs: ['oss://media-out/'],
      queue: { enabled: true },
      prefix: 'uploads/',
      suffix: ['.mp4', '.mov'],
      job: { output: 'oss://media-out/{key_dir}/{key_base}/', renditions: ['mp4-360p'], segmentSeconds: 2 },
      maxBodyBytes: 4096,
    });
    server = await startTriggerServer({ client: env.client, config: env.config, trigger, secret: SECRET }, 0);
  });

  after(async () => {
    await server?.close();
    if (env) {
      for await (const wf of env.client.workflow.list({ query: `TaskQueue="${env.config.taskQueue}" AND ExecutionStatus="Running"` })) {
        await env.client.workflow.getHandle(wf.workflowId).terminate('trigger test done').catch(() => undefined);
      }
      await env.close();
    }
  });

  async function executionsOf(workflowId: string): Promise<number> {
    let n = 0;
    for await (const _ of env.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) n++;
    return n;
  }

  it('starts one workflow for an event delivered twice, in turn or at once', async () => {
    const event = fcOssEvent(object('uploads/day1/clip.mp4'));
    const first = await post(server.url, event);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const [job] = first.body.jobs!;
    assert.equal(job.outcome, 'started');
    assert.equal(job.jobId, objectJobId('e2e', bucket, 'uploads/day1/clip.mp4', 'd41d8cd98f00b204e9800998ecf8427e'));
    assert.equal(job.source, `oss://${bucket}/uploads/day1/clip.mp4`);
    assert.equal(job.output, 'oss://media-out/uploads/day1/clip/');
    assert.ok(job.uiUrl.endsWith(`/workflows/${job.jobId}`));

    const second = await post(server.url, event);
    assert.equal(second.status, 202);
    assert.deepEqual(second.body.jobs!.map((j) => [j.jobId, j.runId, j.outcome, j.status]), [[job.jobId, job.runId, 'duplicate', 'RUNNING']]);

    const description = await env.client.workflow.getHandle(job.jobId).describe();
    assert.equal(description.taskQueue, env.config.taskQueue);
    assert.equal(description.status.name, 'RUNNING');
    await waitFor('the job in visibility', async () => (await executionsOf(job.jobId)) >= 1);
    assert.equal(await executionsOf(job.jobId), 1);

    // Closed jobs are not started again either (reuse policy REJECT_DUPLICATE).
    await env.client.workflow.getHandle(job.jobId).terminate('closed on purpose');
    const third = await post(server.url, event);
    assert.deepEqual(third.body.jobs!.map((j) => [j.outcome, j.status]), [['duplicate', 'TERMINATED']]);
    expected.add(job.jobId);

    // Two deliveries racing each other: exactly one of them starts it.
    const racing = fcOssEvent(object('uploads/day1/race.mov'));
    const replies = await Promise.all([post(server.url, racing), post(server.url, racing)]);
    assert.deepEqual(replies.map((r) => r.body.jobs![0].outcome).sort(), ['duplicate', 'started']);
    assert.equal(replies[0].body.jobs![0].runId, replies[1].body.jobs![0].runId);
    expected.add(replies[0].body.jobs![0].jobId);
  });

  it('starts one job per event of a batch of 3, and skips what the filters leave out', async () => {
    const keys = ['uploads/b/one.mp4', 'uploads/b/two.mp4', 'uploads/b/three.mov'];
    const reply = await post(server.url, fcOssEvent(...keys.map((k) => object(k)), object('uploads/b/notes.txt'), { ...object('uploads/b/one.mp4'), eventName: 'ObjectRemoved:DeleteObject' }));
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const jobs = reply.body.jobs!;
    assert.deepEqual(jobs.map((j) => j.outcome), ['started', 'started', 'started']);
    assert.deepEqual(jobs.map((j) => j.source), keys.map((k) => `oss://${bucket}/${k}`));
    assert.equal(new Set(jobs.map((j) => j.jobId)).size, 3);
    assert.deepEqual(reply.body.skipped!.map((s) => s.where), ['events[3]', 'events[4]']);
    for (const j of jobs) {
      assert.equal((await env.client.workflow.getHandle(j.jobId).describe()).status.name, 'RUNNING');
      expected.add(j.jobId);
    }
  });

  it('starts jobs from EventBridge OSS CloudEvents, and MNS messages with base64 job JSON', async () => {
    const ce = await post(server.url, eventBridgeOssEvent({ ...object('uploads/eb/clip.mp4'), eventName: 'ObjectCreated:CompleteMultipartUpload' }));
    assert.equal(ce.status, 202, JSON.stringify(ce.body));
    assert.equal(ce.body.jobs![0].outcome, 'started');
    expected.add(ce.body.jobs![0].jobId);

    const job = { source: `oss://${bucket}/uploads/queue/movie.mov`, output: 'oss://media-out/queue/movie/', renditions: ['mp4-480p'], segmentSeconds: 6 };
    const message = mnsEvent(Buffer.from(JSON.stringify(job)).toString('base64'), `MSG-${bucket}`);
    const reply = await post(server.url, message);
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const started = reply.body.jobs![0];
    assert.equal(started.outcome, 'started');
    assert.equal(started.source, job.source);
    // The workflow received the decoded job as its input.
    const history = await env.client.workflow.getHandle(started.jobId).fetchHistory();
    const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    assert.deepEqual(defaultPayloadConverter.fromPayload(payload), { ...job, maxShards: trigger.limits.maxShards, mediaTaskQueue: env.config.mediaTaskQueue });
    // MNS redelivers with the same message id: no second job.
    assert.equal((await post(server.url, message)).body.jobs![0].outcome, 'duplicate');
    expected.add(started.jobId);
  });

  it('answers 401 to a missing or wrong signature, and starts nothing', async () => {
    const event = fcOssEvent(object('uploads/unsigned.mp4'));
    const missing = await post(server.url, event, {});
    assert.equal(missing.status, 401);
    assert.match(missing.body.error!, /missing or malformed X-Shardflow-Signature/);
    const wrong = await post(server.url, event, signedTriggerHeaders('not-the-secret-at-all', JSON.stringify(event)));
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.error!, /signature does not match/);
    // A signature for other bytes (the body changed on the way) fails the same.
    const tampered = await post(server.url, event, signedTriggerHeaders(SECRET, JSON.stringify(fcOssEvent(object('uploads/other.mp4')))));
    assert.equal(tampered.status, 401);
    // The timestamp is signed too: a fresh one cannot be put on an old signature.
    const now = String(Math.floor(Date.now() / 1000));
    const restamped = await post(server.url, event, { 'x-shardflow-timestamp': now, 'x-shardflow-signature': signTrigger(SECRET, String(Number(now) - 400), JSON.stringify(event)) });
    assert.equal(restamped.status, 401);
    assert.ok(!JSON.stringify([missing, wrong, tampered, restamped]).includes(SECRET));
  });

  it('answers 400 to malformed bodies and to unsafe keys, naming the problem', async () => {
    const notJson = await post(server.url, '{"events": [');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error!, /not valid JSON/);
    const noBucket = await post(server.url, { events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: {}, object: { key: 'uploads/a.mp4', eTag: 'aa' } } }] });
    assert.equal(noBucket.status, 400);
    assert.match(noBucket.body.error!, /events\[0\]\.oss\.bucket\.name must be a non-empty string/);

    // One unsafe key refuses the whole batch: the safe event in it does not start either.
    const traversal = await post(server.url, fcOssEvent(object('uploads/safe.mp4'), object('uploads/../../etc/passwd.mp4')));
    assert.equal(traversal.status, 400);
    assert.match(traversal.body.error!, /events\[1\]\.oss\.object\.key is refused: the key contains a "\.\." path component/);
    const control = await post(server.url, fcOssEvent(object('uploads/a\u001b[2J.mp4')));
    assert.equal(control.status, 400);
    assert.match(control.body.error!, /control characters/);
    await assert.rejects(env.client.workflow.getHandle(objectJobId('e2e', bucket, 'uploads/safe.mp4', 'd41d8cd98f00b204e9800998ecf8427e')).describe(), /not found/i);
  });

  it('answers 413 to a body over the limit, declared or streamed', async () => {
    const big = fcOssEvent(...Array.from({ length: 20 }, (_, i) => object(`uploads/many/${'x'.repeat(200)}-${i}.mp4`)));
    const declared = await post(server.url, big);
    assert.equal(declared.status, 413);
    assert.match(declared.body.error!, /larger than 4096 bytes/);

    // Chunked: no length up front, so the limit applies while reading.
    const bytes = Buffer.from(JSON.stringify(big));
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(server.url, { method: 'POST', headers: signed(bytes) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < bytes.length; i += 1000) req.write(bytes.subarray(i, i + 1000));
      req.end();
    });
    assert.equal(streamed, 413);
  });

  describe('watched folder', () => {
    function watcherOptions(dir: string, onJob: FolderWatcherOptions['onJob'], errors: string[]): FolderWatcherOptions {
      return {
        dir,
        output: `file://${env.dir}/watch-out/{key_base}/`,
        job: { renditions: ['mp4-360p'] },
        intervalMs: 100,
        start: (req) => startOnce(env.client, env.config, req),
        onJob,
        onError: (file, message) => errors.push(`${file}: ${message}`),
      };
    }

    it('starts a file exactly once, after it stops growing; a restarted watcher starts nothing new', async () => {
      const dir = path.join(env.dir, 'inbox');
      mkdirSync(dir);
      const file = path.join(dir, 'clip.mp4');
      writeFileSync(file, Buffer.alloc(1000));
      writeFileSync(path.join(dir, '.hidden.mp4'), Buffer.alloc(1000));
      writeFileSync(path.join(dir, 'upload.mp4.part'), Buffer.alloc(1000));
      const jobs: { file: string; result: StartOnceResult }[] = [];
      const errors: string[] = [];
      const watcher = watchFolder(watcherOptions(dir, (f, result) => jobs.push({ file: f, result }), errors));
      // Keeps growing across several polls, as a slow copy does.
      for (let i = 0; i < 12; i++) {
        appendFileSync(file, Buffer.alloc(1000));
        await sleep(40);
      }
      const final = statSync(file);
      await waitFor('the watcher to start the file', () => jobs.length > 0);
      await sleep(500); // Five more polls.
      await watcher.stop();
      assert.deepEqual(errors, []);
      assert.equal(jobs.length, 1, 'one job, for the finished file only');
      assert.equal(jobs[0].file, file);
      assert.equal(jobs[0].result.outcome, 'started');
      // The id carries size and mtime: the job is for the file as it ended up.
      assert.equal(jobs[0].result.jobId, fileJobId(file, final.size, final.mtimeMs));
      assert.equal(final.size, 13_000);
      expected.add(jobs[0].result.jobId);

      const again: StartOnceResult[] = [];
      const restarted = watchFolder(watcherOptions(dir, (_f, r) => again.push(r), errors));
      await waitFor('the restarted watcher to see the file', () => again.length > 0);
      await restarted.stop();
      assert.deepEqual(again.map((r) => [r.jobId, r.outcome]), [[jobs[0].result.jobId, 'duplicate']]);
    });
  });

  describe('the commands', () => {
    /** A long-running command, stopped by the test with a signal. */
    function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
      const { temporalAddress, taskQueue, mediaTaskQueue } = env.config;
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: temporalAddress,
          SHARDFLOW_TASK_QUEUE: taskQueue,
          SHARDFLOW_MEDIA_TASK_QUEUE: mediaTaskQueue,
          SHARDFLOW_DATA_DIR: env.dir,
          SHARDFLOW_TRIGGER_SECRET: SECRET,
        },
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      return { child, out: () => out, err: () => err, exit };
    }

    it('trigger serve: listens, starts jobs, stops on SIGTERM, and never prints the secret', async () => {
      const configFile = path.join(env.dir, 'trigger.json');
      writeFileSync(configFile, JSON.stringify({ name: 'cli', buckets: [bucket], prefix: 'cli/', job: { output: 'oss://media-out/{key_base}/' } }));
      const p = run(['trigger', 'serve', '--port', '0', '--config', configFile, '--json']);
      await waitFor('the server to listen', () => p.out().includes('\n'));
      const { listening } = JSON.parse(p.out().split('\n')[0]);
      const reply = await post(listening, fcOssEvent(object('cli/clip.mp4')));
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      expected.add(reply.body.jobs![0].jobId);
      assert.equal((await post(listening, 'nope', { 'x-shardflow-signature': `sha256=${'0'.repeat(64)}` })).status, 401);
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0, p.err());
      const lines = p.out().trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.slice(1).map((l) => l.status), [202, 401]);
      assert.ok(!(p.out() + p.err()).includes(SECRET), 'the secret stays out of the output');
    });

    it('trigger serve refuses to run without a secret or with a looping config (exit 2)', async () => {
      const cli = cliRunner(env);
      const noSecret = await cli(['trigger', 'serve', '--port', '0'], { SHARDFLOW_TRIGGER_SECRET: '' });
      assert.equal(noSecret.code, 2);
      assert.match(noSecret.stderr, /SHARDFLOW_TRIGGER_SECRET is not set/);
      const configFile = path.join(env.dir, 'loop.json');
      writeFileSync(configFile, JSON.stringify({ job: { output: 'oss://{bucket}/out/{key_base}/' } }));
      const looping = await cli(['trigger', 'serve', '--port', '0', '--config', configFile], { SHARDFLOW_TRIGGER_SECRET: SECRET });
      assert.equal(looping.code, 2);
      assert.match(looping.stderr, /every output would start another job/);
    });

    it('watch: prints the started job and its Web UI link', async () => {
      const dir = path.join(env.dir, 'cli-inbox');
      mkdirSync(dir);
      const p = run(['watch', dir, '-r', 'mp4-360p', '--segment-seconds', '4', '--interval', '100']);
      writeFileSync(path.join(dir, 'drop.mov'), Buffer.alloc(2000));
      await waitFor('the watch command to start the file', () => /Web UI: /.test(p.out())).catch((e: Error) => {
        throw new Error(`${e.message}; it printed: ${p.out()} ${p.err()}`);
      });
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0, p.err());
      const m = /^started job (watch-drop-[0-9a-f]{20}) for drop\.mov\nWeb UI: (\S+)\n$/.exec(p.out());
      assert.ok(m, p.out());
      assert.ok(m[2].endsWith(`/workflows/${m[1]}`));
      expected.add(m[1]);
    });
  });

  it('left exactly the expected jobs in Temporal: nothing started by refused requests or twice', async () => {
    const ids = async () => {
      const found: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `TaskQueue="${env.config.taskQueue}"` })) found.push(wf.workflowId);
      return found;
    };
    await waitFor('visibility to catch up', async () => (await ids()).length >= expected.size);
    const found = await ids();
    assert.deepEqual([...found].sort(), [...expected].sort());
  });
});
