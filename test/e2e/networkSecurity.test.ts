// The exposed network surfaces, attacked as an outsider would: the function
// handler (real `shardflow fc-handler` processes), a flow's HTTP:Request (the
// real activity against local servers, and through a real flow for history),
// the trigger endpoint (real Temporal), the flows' bucket mapping and the
// compose file. Each test is an attack that worked before these controls.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import type { Activities } from '../../src/core/contracts';
import { runWithActivityContext } from '../../src/activities/activityContext';
import { AddressPolicy } from '../../src/activities/httpAddressPolicy';
import { httpRequest, type HttpRequestInput } from '../../src/activities/httpRequest';
import { signedInvokeHeaders } from '../../src/fc/invokeAuth';
import { RUN_FLOW_WORKFLOW } from '../../src/core/flow/flowNames';
import { bucketUrl } from '../../src/functions/videoSample';
import { signedTriggerHeaders } from '../../src/triggers/signature';
import { parseTriggerConfig } from '../../src/triggers/triggerConfig';
import { startTriggerServer, type TriggerServer } from '../../src/triggers/triggerServer';
import { makeClip } from '../support/clips';
import { spawnHandler, TEST_FC_SECRET } from '../support/fcApiServer';
import { SLOW_CLIP, slowShardInput } from '../support/slowShard';
import { fcOssEvent, mnsEvent } from '../support/ossEvents';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { eventually } from '../support/until';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'bin', 'shardflow.js');

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function postRaw(url: string, body: string, headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

function listen(server: http.Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));
}

function close(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}

describe('function handler', { timeout: 120_000 }, () => {
  let dir: string;
  let handler: Awaited<ReturnType<typeof spawnHandler>>;
  const clip = makeClip({ seconds: 2, fps: 25 });
  const audioRendition = { name: 'a', container: 'mp4', video: { codec: 'h264' }, audio: { codec: 'aac', bitrate: '64k' } };
  const audioCall = (job: string, source = `file://${clip}`) =>
    JSON.stringify({ activity: 'encodeAudio', input: { workUrl: `file://${dir}/work/${job}/`, source, audioStream: 1, rendition: audioRendition } });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-netsec-fc-'));
    handler = await spawnHandler({ SHARDFLOW_DATA_DIR: dir, SHARDFLOW_FC_ALLOWED_URLS: `file://${path.dirname(clip)}/` });
  });
  after(async () => {
    handler?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unsigned call, and one signed with another secret, running nothing', async () => {
    const body = audioCall('unsigned');
    for (const headers of [{}, signedInvokeHeaders('not-the-shared-secret-0000', body)]) {
      const reply = await postRaw(`${handler.url}/invoke`, body, headers);
      assert.equal(reply.status, 401);
      assert.equal(reply.headers.get('x-fc-error-type'), 'HandledInvocationError');
      assert.equal(reply.body.errorType, 'Unauthorized');
      assert.equal(reply.body.nonRetryable, true);
    }
    assert.ok(!existsSync(path.join(dir, 'work', 'unsigned')), 'nothing was encoded');
  });

  it('refuses a replayed call, and one signed more than 5 minutes ago', async () => {
    const body = audioCall('replayed');
    const headers = signedInvokeHeaders(TEST_FC_SECRET, body);
    const first = await postRaw(`${handler.url}/invoke`, body, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await postRaw(`${handler.url}/invoke`, body, headers);
    assert.equal(again.status, 401);
    assert.match(again.body.errorMessage, /already received once; a call cannot be replayed/);
    const old = signedInvokeHeaders(TEST_FC_SECRET, audioCall('old'), String(Math.floor(Date.now() / 1000) - 360));
    const stale = await postRaw(`${handler.url}/invoke`, audioCall('old'), old);
    assert.equal(stale.status, 401);
    assert.match(stale.body.errorMessage, /3\d\d s away from this server's clock; at most 300 s/);
  });

  it('refuses publishOutputs and cleanWorkArea: a signed caller still cannot copy /etc/passwd or delete a folder', async () => {
    const loot = path.join(dir, 'loot');
    const victim = path.join(dir, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'keep.txt'), 'keep');
    const calls = [
      { activity: 'publishOutputs', input: { output: `file://${loot}/`, files: [{ url: 'file:///etc/passwd', name: 'passwd' }] } },
      { activity: 'cleanWorkArea', input: { workUrl: `file://${victim}/` } },
      { activity: 'prepareWorkArea', input: { jobId: 'x', source: 'file:///etc/passwd', output: `file://${loot}/` } },
    ];
    for (const call of calls) {
      const body = JSON.stringify(call);
      const reply = await postRaw(`${handler.url}/invoke`, body, signedInvokeHeaders(TEST_FC_SECRET, body));
      assert.equal(reply.body.errorType, 'UnknownActivity', call.activity);
    }
    assert.ok(!existsSync(loot), 'nothing was published');
    assert.equal(readFileSync(path.join(victim, 'keep.txt'), 'utf8'), 'keep', 'nothing was deleted');
  });

  it('refuses URLs outside the work root and the allowed prefixes', async () => {
    const attempts = [
      audioCall('outside-source', 'file:///etc/passwd'),
      JSON.stringify({ activity: 'encodeAudio', input: { workUrl: `file://${dir}/elsewhere/`, source: `file://${clip}`, audioStream: 1, rendition: audioRendition } }),
      JSON.stringify({ activity: 'invokeFunction', input: { functionName: 'after-process', event: { video_proc_dir: `file://${dir}/` }, stateName: 'S' } }),
    ];
    const replies = [];
    for (const body of attempts) {
      const reply = await postRaw(`${handler.url}/invoke`, body, signedInvokeHeaders(TEST_FC_SECRET, body));
      assert.ok(['AccessDenied', 'InvalidJob'].includes(reply.body.errorType), JSON.stringify(reply.body));
      assert.equal(reply.body.nonRetryable, true);
      replies.push(reply);
    }
    assert.equal(replies[0].body.errorType, 'AccessDenied');
    assert.match(replies[0].body.errorMessage, /"file:\/\/\/etc\/passwd" is outside what this function may touch/);
    assert.equal(replies[1].body.errorType, 'AccessDenied');
    assert.ok(!existsSync(path.join(dir, 'elsewhere')), 'nothing was written outside the work root');
  });

  it('answers 429 past its concurrency, which the dispatcher retries as FC.ResourceThrottled', async () => {
    const one = await spawnHandler({ SHARDFLOW_DATA_DIR: dir, SHARDFLOW_FC_ALLOWED_URLS: `file://${path.dirname(clip)}/`, SHARDFLOW_FC_CONCURRENCY: '1' });
    try {
      const long = makeClip(SLOW_CLIP);
      // A veryslow x264 shard keeps the only slot busy for many seconds, however fast the machine.
      const slow = JSON.stringify({ activity: 'encodeShard', input: slowShardInput(`file://${dir}/work/slow/`, long) });
      const controller = new AbortController();
      const busy = fetch(`${one.url}/invoke`, { method: 'POST', headers: signedInvokeHeaders(TEST_FC_SECRET, slow), body: slow, signal: controller.signal }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
      const body = audioCall('second');
      const second = await postRaw(`${one.url}/invoke`, body, signedInvokeHeaders(TEST_FC_SECRET, body));
      controller.abort();
      await busy;
      assert.equal(second.status, 429);
      assert.equal(second.headers.get('x-fc-error-type'), null, 'a platform answer, not a function error');
      assert.equal(second.body.Code, 'ResourceThrottled');
    } finally {
      one.child.kill('SIGTERM');
    }
  });

  it('will not listen on 0.0.0.0 without a secret, and says what to set', async () => {
    const child = spawn(process.execPath, [CLI, 'fc-handler', '--port', '0', '--host', '0.0.0.0'], {
      env: { ...process.env, SHARDFLOW_FC_SECRET: '', SHARDFLOW_DATA_DIR: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 2, `exit code; stderr: ${err}`);
    assert.match(err, /will not listen on 0\.0\.0\.0 without SHARDFLOW_FC_SECRET.*Set SHARDFLOW_FC_SECRET/s);
  });
});

describe("a flow's HTTP:Request", { timeout: 120_000 }, () => {
  let inside: http.Server;
  let insideUrl: string;
  let insideHits = 0;
  let outside: http.Server;
  let outsideUrl: string;
  let sentBytes = 0;
  let streamClosedEarly = false;
  // 127.0.0.2 stands for a public server: the only address this policy lets through.
  const policy = new AddressPolicy(['127.0.0.2']);
  const call = httpRequest({ policy });
  const ctx = () => ({ heartbeat: () => {}, cancellationSignal: new AbortController().signal, attempt: 1 });
  const run = (input: HttpRequestInput) => runWithActivityContext(ctx(), () => call(input));

  before(async () => {
    // The "internal" service the attacker wants: on loopback, like a metadata or admin endpoint.
    inside = http.createServer((_req, res) => {
      insideHits++;
      res.end('{"AccessKeySecret":"internal-role-secret"}');
    });
    insideUrl = await listen(inside, '127.0.0.1');
    outside = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/redirect') {
        res.writeHead(302, { location: `${insideUrl}/latest/meta-data/` });
        return res.end();
      }
      if (url.pathname === '/hop') {
        res.writeHead(307, { location: `/hop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` });
        return res.end();
      }
      if (url.pathname === '/huge') {
        // 400 MiB, produced only as fast as it is read.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1024 * 1024, 120);
        let left = 400;
        const pump = () => {
          while (left > 0) {
            left--;
            sentBytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (streamClosedEarly = left > 0));
        return pump();
      }
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', 'session=cookie-value-4e7a1c; HttpOnly');
      res.end(JSON.stringify({ echoed: req.headers.authorization ?? null, ok: true }));
    });
    outsideUrl = await listen(outside, '127.0.0.2');
  });
  after(async () => {
    await close(inside);
    await close(outside);
  });

  it('refuses loopback, the metadata address and a name that resolves to loopback, before connecting', async () => {
    for (const url of [`${insideUrl}/`, 'http://169.254.169.254/latest/meta-data/', `http://localhost:${new URL(insideUrl).port}/`, 'http://[::ffff:127.0.0.1]/']) {
      const failure = await failureOf(run({ URL: url }));
      assert.equal(failure.type, 'HTTP.AddressRefused', url);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /is refused: it resolves to .*(loopback|link-local).*SHARDFLOW_HTTP_ALLOW/);
    }
    assert.equal(insideHits, 0, 'the internal service was never reached');
  });

  it('checks every redirect: one to a private address is refused, and the hops are limited', async () => {
    const failure = await failureOf(run({ URL: `${outsideUrl}/redirect` }));
    assert.equal(failure.type, 'HTTP.AddressRefused');
    assert.match(failure.message, /127\.0\.0\.1 \(a loopback address\)/);
    assert.equal(insideHits, 0, 'the redirect target was never reached');
    const loop = await failureOf(run({ URL: `${outsideUrl}/hop` }));
    assert.equal(loop.type, 'HTTP.TooManyRedirects');
  });

  it('stops reading a 400 MiB answer at 1 MiB, with memory to match', async () => {
    const before = process.memoryUsage().rss;
    const failure = await failureOf(run({ URL: `${outsideUrl}/huge` }));
    const grown = process.memoryUsage().rss - before;
    assert.equal(failure.type, 'HTTP.ResponseTooLarge');
    assert.equal(failure.nonRetryable, true);
    await eventually(() => streamClosedEarly, 1, 20);
    assert.ok(streamClosedEarly, 'the connection was closed before the whole answer was sent');
    assert.ok(sentBytes < 64 * 1024 * 1024, `only a little was sent (${sentBytes} bytes)`);
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew ${Math.round(grown / 1048576)} MiB`);
  });

  it('keeps Authorization and cookies out of workflow history; the worker holds the secret', async () => {
    const token = `tok-${randomBytes(12).toString('hex')}`;
    const activities = { httpRequest: httpRequest({ policy, env: { SHARDFLOW_HTTP_SECRET_HOOK: token } }) } as unknown as Partial<Activities>;
    const env = await createTestEnv({ activities });
    try {
      const definition = {
        Type: 'StateMachine',
        SpecVersion: 'v1',
        Name: 'hook',
        StartAt: 'Call',
        States: [{ Name: 'Call', Type: 'Task', Action: 'HTTP:Request', Parameters: { method: 'GET', url: `${outsideUrl}/hook`, headers: { Authorization: 'Bearer {{secret:HOOK}}' } }, End: true }],
      };
      const handle = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-hook-${randomUUID()}`, args: [{ definition, input: {} }] });
      const out = (await handle.result()) as { StatusCode: number; Headers: Record<string, string>; Body: { echoed: string; ok: boolean } };
      assert.equal(out.StatusCode, 200);
      assert.equal(out.Headers['set-cookie'], '[redacted]');
      assert.equal(out.Body.echoed, '[redacted]', 'the server received the token and echoed it back');
      const history = JSON.stringify(await handle.fetchHistory());
      assert.ok(!history.includes(token), 'the token is not in history');
      assert.ok(!history.includes('cookie-value-4e7a1c'), 'the cookie is not in history');
    } finally {
      await env.close();
    }
  });
});

describe('trigger endpoint', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let server: TriggerServer;
  let queueServer: TriggerServer;
  const secret = `netsec-trigger-${randomBytes(8).toString('hex')}`;
  const bucket = `in-${randomBytes(4).toString('hex')}`;
  const post = (s: TriggerServer, doc: unknown, headers?: Record<string, string>) => {
    const body = JSON.stringify(doc);
    return postRaw(s.url, body, headers ?? signedTriggerHeaders(secret, body));
  };

  before(async () => {
    env = await createTestEnv({ noWorkers: true });
    const base = { name: 'netsec', buckets: [bucket], prefix: 'uploads/', job: { output: 'oss://media-out/{key_base}/' } };
    server = await startTriggerServer({ client: env.client, config: env.config, trigger: parseTriggerConfig(base), secret }, 0);
    const queued = parseTriggerConfig({ ...base, name: 'netsecq', outputs: ['oss://media-out/'], queue: { enabled: true } });
    queueServer = await startTriggerServer({ client: env.client, config: env.config, trigger: queued, secret }, 0);
  });
  after(async () => {
    await server?.close();
    await queueServer?.close();
    if (env) {
      for await (const wf of env.client.workflow.list({ query: `TaskQueue="${env.config.taskQueue}" AND ExecutionStatus="Running"` })) {
        await env.client.workflow.getHandle(wf.workflowId).terminate('test done').catch(() => undefined);
      }
      await env.close();
    }
  });

  it('refuses a captured request replayed after the 5-minute window, or again within it', async () => {
    const event = fcOssEvent({ bucket, key: 'uploads/replayed.mp4', etag: 'aa01' });
    const body = JSON.stringify(event);
    const captured = signedTriggerHeaders(secret, body, String(Math.floor(Date.now() / 1000) - 330));
    const late = await postRaw(server.url, body, captured);
    assert.equal(late.status, 401);
    assert.match(late.body.error, /X-Shardflow-Timestamp is 3\d\d s away/);
    const fresh = signedTriggerHeaders(secret, body);
    assert.equal((await postRaw(server.url, body, fresh)).status, 202);
    const again = await postRaw(server.url, body, fresh);
    assert.equal(again.status, 401);
    assert.match(again.body.error, /already received/);
  });

  it('ignores queue messages unless the config enables them', async () => {
    const reply = await post(server, mnsEvent({ source: `oss://${bucket}/uploads/a.mp4`, output: 'oss://media-out/a/' }, 'MSG-OFF'));
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.jobs, []);
    assert.match(reply.body.skipped[0].reason, /queue messages are disabled/);
  });

  it("holds messages to the bucket and output allow-lists: no moving another bucket's files to a public one", async () => {
    const leak = await post(queueServer, mnsEvent({ source: 'oss://finance-private/uploads/q3.mp4', output: 'oss://public-website/leak/' }, 'MSG-LEAK'));
    assert.equal(leak.status, 400);
    assert.match(leak.body.error, /finance-private, which is not in "buckets"/);
    const out = await post(queueServer, mnsEvent({ source: `oss://${bucket}/uploads/q3.mp4`, output: 'oss://public-website/leak/' }, 'MSG-OUT'));
    assert.equal(out.status, 400);
    assert.match(out.body.error, /the output oss:\/\/public-website\/leak\/ is not below any of "outputs"/);
  });

  it('does not let a message pick the task queue or the job id', async () => {
    const job = { source: `oss://${bucket}/uploads/b.mp4`, output: 'oss://media-out/b/' };
    for (const [field, value] of [['mediaTaskQueue', 'privileged-media'], ['jobId', 'someone-elses-job']]) {
      const reply = await post(queueServer, mnsEvent({ ...job, [field]: value }, `MSG-${field}`));
      assert.equal(reply.status, 400);
      assert.match(reply.body.error, new RegExp(`sets "${field}", which messages may not set`));
    }
    // An accepted message runs on the server's own media queue.
    const ok = await post(queueServer, mnsEvent(job, `MSG-OK-${randomUUID()}`));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    const history = await env.client.workflow.getHandle(ok.body.jobs[0].jobId).fetchHistory();
    const input = defaultPayloadConverter.fromPayload(history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0]) as Record<string, unknown>;
    assert.equal(input.mediaTaskQueue, env.config.mediaTaskQueue);
  });

  it('caps renditions, frame rate and segment length, each with its own 400', async () => {
    const job = { source: `oss://${bucket}/uploads/c.mp4`, output: 'oss://media-out/c/' };
    const many = (n: number, extra = {}) => Array.from({ length: n }, (_, i) => ({ preset: 'mp4-360p', name: `r${i}`, ...extra }));
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ renditions: many(50) }, /"renditions" lists 50; a job makes at most 10/],
      [{ renditions: many(5) }, /5 renditions; this trigger starts at most 4/],
      [{ renditions: [{ preset: 'mp4-360p', video: { codec: 'h264', fps: 240 } }] }, /240 fps; this trigger allows at most 60/],
      [{ segmentSeconds: 0.5 }, /"segmentSeconds" is 0.5; this trigger needs at least 2/],
    ];
    for (const [fields, reason] of cases) {
      const reply = await post(queueServer, mnsEvent({ ...job, ...fields }, `MSG-${randomUUID()}`));
      assert.equal(reply.status, 400, JSON.stringify(fields));
      assert.match(reply.body.error, reason);
    }
  });
});

describe('job limits in the workflow', { timeout: 120_000 }, () => {
  it('refuses a source that would make more shards than the job allows, after probing it', async () => {
    const env = await createTestEnv();
    try {
      const clip = makeClip({ seconds: 4, fps: 25, gop: 25 });
      const err = await env.run({ source: `file://${clip}`, output: `file://${env.dir}/out/`, segmentSeconds: 1, maxShards: 2 }).then(
        () => assert.fail('the job should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      const cause = err.cause as ApplicationFailure;
      assert.equal(cause.type, 'InvalidJob');
      assert.match(cause.message, /4\.0 s cut every 1 s make 4 shards; at most 2 are allowed/);
      assert.ok(!existsSync(path.join(env.dir, 'out')), 'nothing was published');
    } finally {
      await env.close();
    }
  });
});

describe('flows', () => {
  it('cannot turn oss_bucket_name into another scheme or a path out of the bucket', () => {
    for (const [bucket, key] of [
      ['file://', 'etc/passwd'],
      ['file:/', 'etc/passwd'],
      ['..', 'etc/passwd'],
      ['Media', 'a.mp4'],
      ['-media', 'a.mp4'],
      ['me', 'a.mp4'],
      ['media.example', 'a.mp4'],
    ]) {
      assert.throws(() => bucketUrl('local', bucket, key), (e: unknown) => e instanceof ApplicationFailure && e.type === 'InvalidJob' && /is not a bucket name/.test(e.message), `${bucket} ${key}`);
    }
    assert.throws(() => bucketUrl('local', 'media', '../other/a.mp4'), /does not name an object inside bucket media/);
    assert.throws(() => bucketUrl('oss', 'media', 'a/../../b.mp4'), /does not name an object inside bucket media/);
    assert.equal(bucketUrl('local', 'media', '/videos/a.mp4'), 'media/videos/a.mp4');
    assert.equal(bucketUrl('oss', 'media-1', 'videos/a.mp4'), 'oss://media-1/videos/a.mp4');
  });
});

describe('docker-compose.temporal.yml', () => {
  it('publishes every port on loopback unless told otherwise', () => {
    const compose = parseYaml(readFileSync(path.join(REPO, 'docker-compose.temporal.yml'), 'utf8')) as { services: Record<string, { ports?: string[] }> };
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p] as const));
    assert.ok(published.length >= 2, 'the frontend and the UI are published');
    for (const [name, port] of published) {
      // As Compose resolves it with nothing set: ${VAR:-default} becomes the default.
      const resolved = String(port).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
      assert.match(resolved, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port}`);
    }
  });
});
