// The FC custom-runtime handler over real HTTP: activities run outside Temporal
// with the ambient activity context, errors come back in FC's shape, the
// per-request credential headers reach OSS (the in-process OSS server checks
// signatures) and never the log, and a closed request kills ffmpeg. Calls are
// signed with the handler's secret (the attacks on that are in
// test/e2e/networkSecurity.test.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { runWithActivityContext } from '../../src/activities/activityContext';
import { withAttempt } from '../../src/activities/activityKit';
import { loadConfig } from '../../src/config';
import { FC_ERROR_TYPE_HEADER, HANDLED_ERROR, type InvokeErrorBody, type InvokeRequest } from '../../src/fc/contract';
import { startHandlerServer, type RunningHandlerServer } from '../../src/fcHandler/handlerServer';
import { signedInvokeHeaders } from '../../src/fc/invokeAuth';
import { OssStore, ossSettingsFromEnv } from '../../src/storage/ossStore';
import { makeClip } from '../support/clips';
import { probeFile } from '../support/ffprobe';
import { ourFfmpegs } from '../support/processes';
import { OssServer } from '../support/ossServer';
import { SLOW_CLIP, slowShardInput } from '../support/slowShard';
import { eventually } from '../support/until';

const STS_KEY_ID = 'STS.fcHandlerKey0003';
const STS_SECRET = 'sts-fc-secret-5be1c0';
const STS_TOKEN = 'CAIS-fc-handler-token-31f';
/** The function's own environment holds keys OSS does not know: only the request's headers can work. */
const STALE_KEY_ID = 'LTAIstalekey0009';
const STALE_SECRET = 'stale-secret-0000';
const SECRET = 'fc-handler-unit-secret-0a9b';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

describe('fc-handler', () => {
  let dir: string;
  let oss: OssServer;
  let handler: RunningHandlerServer;
  const logLines: string[] = [];

  const invoke = (request: InvokeRequest | string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = typeof request === 'string' ? request : JSON.stringify(request);
      const signed = { 'content-type': 'application/octet-stream', ...signedInvokeHeaders(SECRET, body), ...headers };
      const req = http.request(`${handler.url}/invoke`, { method: 'POST', headers: signed, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  const expectHandled = (answer: Answer, errorType: string, nonRetryable: boolean): InvokeErrorBody => {
    assert.equal(answer.status, 404, 'FC custom runtimes answer 404 for a failed invocation');
    assert.equal(answer.headers['x-fc-status'], '404');
    assert.equal(answer.headers[FC_ERROR_TYPE_HEADER], HANDLED_ERROR);
    const body = answer.body as InvokeErrorBody;
    assert.equal(body.errorType, errorType, body.errorMessage);
    assert.equal(body.nonRetryable, nonRetryable);
    return body;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fc-handler-'));
    oss = await OssServer.start({ credentials: [{ accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: STS_TOKEN }], buckets: ['media'] });
    const env: NodeJS.ProcessEnv = {
      OSS_ENDPOINT: oss.endpoint,
      OSS_REGION: 'cn-hangzhou',
      OSS_PATH_STYLE: '1',
      ALIBABA_CLOUD_ACCESS_KEY_ID: STALE_KEY_ID,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: STALE_SECRET,
    };
    handler = await startHandlerServer({
      config: { ...loadConfig({ SHARDFLOW_DATA_DIR: dir }), ffmpegThreads: 1 },
      env,
      secret: SECRET,
      allowedUrls: [`file://${path.dirname(makeClip({ seconds: 1, fps: 25 }))}/`, 'oss://media/in/', 'media/'],
      host: '127.0.0.1',
      port: 0,
      log: (line) => logLines.push(line),
    });
  });
  after(async () => {
    if (process.env.FC_TEST_SHOW_LOG) process.stderr.write(`${logLines.join('\n')}\n`);
    await handler?.close();
    await oss?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("encodes a real clip's audio: 200 with the work-area URL, FC start and end log lines", async () => {
    const clip = makeClip({ seconds: 2, fps: 25 });
    const input = { workUrl: `file://${dir}/work/job-audio/`, source: `file://${clip}`, audioStream: 1, rendition: { name: 'a', container: 'mp4', video: { codec: 'h264' }, audio: { codec: 'aac', bitrate: '64k' } } };
    const answer = await invoke({ activity: 'encodeAudio', input }, { 'x-fc-request-id': 'req-audio-1' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.headers['x-fc-status'], '200');
    assert.equal(answer.headers[FC_ERROR_TYPE_HEADER], undefined);
    const url = answer.body as string;
    assert.ok(url.startsWith(input.workUrl), url);
    const facts = probeFile(new URL(url).pathname);
    assert.deepEqual(facts.streams.map((st) => [st.type, st.codec]), [['audio', 'aac']]);
    assert.ok(Math.abs(facts.duration - 2) < 0.1, `audio of ${facts.duration} s`);
    assert.ok(logLines.includes('FC Invoke Start RequestId: req-audio-1'));
    assert.ok(logLines.includes('FC Invoke End RequestId: req-audio-1'));
    assert.ok(logLines.indexOf('FC Invoke Start RequestId: req-audio-1') < logLines.indexOf('FC Invoke End RequestId: req-audio-1'));
  });

  it('answers InvalidMedia for a text file as a handled, non-retryable error', async () => {
    mkdirSync(path.join(dir, 'store', 'media'), { recursive: true });
    writeFileSync(path.join(dir, 'store', 'media', 'notes.mp4'), 'this is not a video\n'.repeat(50));
    const event = { oss_bucket_name: 'media', video_key: 'notes.mp4' };
    const body = expectHandled(await invoke({ activity: 'invokeFunction', input: { functionName: 'split', event, stateName: 'Split' } }), 'InvalidMedia', true);
    assert.match(body.errorMessage, /notes\.mp4 is not a usable video/);
  });

  it('refuses activities outside the allow-list and malformed requests, non-retryably', async () => {
    for (const activity of ['prepareWorkArea', 'probeSource', 'publishOutputs', 'cleanWorkArea', 'constructor']) {
      const unknown = expectHandled(await invoke({ activity, input: {} }), 'UnknownActivity', true);
      assert.match(unknown.errorMessage, new RegExp(`does not run activity "${activity}"`));
    }
    expectHandled(await invoke('{"activity": '), 'InvalidInvokeRequest', true);
    expectHandled(await invoke({ activity: 'encodeShard', input: {}, attempt: 0 }), 'InvalidInvokeRequest', true);
    const tooBig = await invoke({ activity: 'encodeShard', input: { pad: 'x'.repeat(6 * 1024 * 1024) } });
    expectHandled(tooBig, 'RequestTooLarge', true);
  });

  it('answers /initialize with 200 and other routes with a 404 that is not a function error', async () => {
    const post = (p: string, method = 'POST') =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(`${handler.url}${p}`, { method }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal((await post('/initialize')).statusCode, 200);
    const other = await post('/invoke', 'GET');
    assert.equal(other.statusCode, 404);
    assert.equal(other.headers[FC_ERROR_TYPE_HEADER], undefined);
  });

  it('reads OSS with the request credential headers only, and never logs them', async () => {
    const clip = makeClip({ seconds: 1, fps: 25 });
    const uploader = new OssStore(ossSettingsFromEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: STS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: STS_TOKEN, OSS_ENDPOINT: oss.endpoint, OSS_REGION: 'cn-hangzhou', OSS_PATH_STYLE: '1' }));
    await uploader.putFile('oss://media/in/clip.mp4', clip);
    const audio = (source: string, job: string) => ({
      workUrl: `file://${dir}/work/${job}/`,
      source,
      audioStream: 1,
      rendition: { name: 'a', container: 'mp4', video: { codec: 'h264' }, audio: { codec: 'aac', bitrate: '64k' } },
    });
    const request: InvokeRequest = { activity: 'encodeAudio', input: audio('oss://media/in/clip.mp4', 'job-sts') };
    const creds = { 'x-fc-access-key-id': STS_KEY_ID, 'x-fc-access-key-secret': STS_SECRET, 'x-fc-security-token': STS_TOKEN };
    const from = logLines.length;

    const withHeaders = await invoke(request, { ...creds, 'x-fc-request-id': 'req-sts' });
    assert.equal(withHeaders.status, 200, JSON.stringify(withHeaders.body));
    assert.ok(Math.abs(probeFile(new URL(withHeaders.body as string).pathname).duration - 1) < 0.1, 'the audio of the 1 s clip');
    const gets = oss.requests.filter((r) => r.op === 'HeadObject' || r.op === 'GetObject');
    assert.ok(gets.length > 0 && gets.every((r) => r.status < 300), 'OSS accepted the header credentials');

    // The function's own (stale) keys are refused by OSS: a request without headers fails, so the success above
    // used the header keys, and they did not stay behind for the next request.
    // Another job's work area: the same body signed in the same second would be refused as a replay.
    const without = await invoke({ activity: 'encodeAudio', input: audio('oss://media/in/clip.mp4', 'job-no-sts') }, { 'x-fc-request-id': 'req-no-sts' });
    assert.equal(without.status, 404);
    assert.equal(without.headers[FC_ERROR_TYPE_HEADER], HANDLED_ERROR);
    assert.ok(oss.requests.some((r) => r.status === 403), 'OSS refused the function environment keys');

    // A failure while holding the header credentials: their values reach neither the log nor the error body.
    const failed = await invoke({ activity: 'encodeAudio', input: audio('oss://media/in/missing.mp4', 'job-missing') }, creds);
    expectHandled(failed, 'MissingObject', true);
    const seen = [...logLines.slice(from), JSON.stringify(failed.body), JSON.stringify(without.body)].join('\n');
    for (const secret of [STS_KEY_ID, STS_SECRET, STS_TOKEN]) assert.ok(!seen.includes(secret), `log shows ${secret}`);
    assert.ok(logLines.includes('FC Invoke End RequestId: req-sts'));
  });

  it('kills ffmpeg when the invocation request is closed', { timeout: 60_000 }, async () => {
    const clip = makeClip({ ...SLOW_CLIP, gop: 25 });
    const input = slowShardInput(`file://${path.join(dir, 'work', 'job-abort')}/`, clip);
    const controller = new AbortController();
    const pending = invoke({ activity: 'encodeShard', input }, { 'x-fc-request-id': 'req-abort' }, controller.signal);
    pending.catch(() => {});
    assert.ok(await eventually(() => ourFfmpegs().length > 0, 10), 'ffmpeg was running when the request was closed');
    controller.abort();
    await assert.rejects(pending);
    await eventually(() => ourFfmpegs().length === 0, 5);
    assert.deepEqual(ourFfmpegs(), [], 'no ffmpeg left running');
    assert.ok(await eventually(() => logLines.includes('FC Invoke End RequestId: req-abort'), 5), 'the invocation logged its end');
    const scratch = path.join(dir, 'tmp');
    assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, 'scratch files removed');
  });

  it('reports the request attempt number on failures', async () => {
    // Through the handler: the failpoint fails the shard retryably, withAttempt adds the attempt from the request.
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=1';
    try {
      const input = { common: {}, index: 0, count: 1, start: 0, end: 1, rendition: { name: 'r' } };
      const body = expectHandled(await invoke({ activity: 'encodeShard', input, attempt: 4 }), 'InjectedFault', false);
      assert.deepEqual(body.details, [{ attempt: 4 }]);
    } finally {
      delete process.env.SHARDFLOW_FAILPOINTS;
    }
    // And directly: the ambient context is what withAttempt reads outside Temporal.
    const err = await runWithActivityContext({ heartbeat: () => {}, cancellationSignal: new AbortController().signal, attempt: 3 }, async () => withAttempt(new Error('disk full')));
    assert.ok(err instanceof ApplicationFailure);
    assert.deepEqual(err.details, [{ attempt: 3 }]);
    assert.throws(() => withAttempt(new Error('outside')), /not in an activity/);
  });
});
