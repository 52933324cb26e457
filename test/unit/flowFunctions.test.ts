// The video-processing sample's functions called as a flow Task state calls
// them (the invokeFunction activity, outside Temporal), on a real clip in the
// local store: split → transcode per key → merge → after-process, with the
// outputs checked by ffprobe. Also the HTTP:Request activity against a local server.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, copyFileSync, writeFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runWithActivityContext } from '../../src/activities/activityContext';
import { AddressPolicy } from '../../src/activities/httpAddressPolicy';
import { httpRequest } from '../../src/activities/httpRequest';
import { invokeFunction } from '../../src/functions/invokeFunction';
import { loadConfig, type Config } from '../../src/config';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { Stores } from '../../src/storage/stores';
import { makeClip } from '../support/clips';
import { expectApplicationFailure } from '../support/failures';
import { audioOf, probeFile, videoOf } from '../support/ffprobe';

const ctx = () => ({ heartbeat: () => {}, cancellationSignal: new AbortController().signal, attempt: 1 });
const FPS = 25;
const SECONDS = 6;

describe('flow functions: the video-processing sample', () => {
  let dir: string;
  let config: Config;
  let invoke: (functionName: string, event: unknown) => Promise<any>;
  const bucket = 'media-bucket';

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shardflow-flowfn-'));
    config = { ...loadConfig({ ...process.env, SHARDFLOW_DATA_DIR: dir }), mediaConcurrency: 2, ffmpegThreads: 1 };
    const activity = invokeFunction({ config, stores: new Stores(config.localStoreRoot, { scratchDir: config.scratchDir }) }, 'local');
    invoke = (functionName, event) =>
      runWithActivityContext(ctx(), () => activity({ functionName, event, stateName: functionName } satisfies InvokeFunctionInput));
    // The local flow store maps bucket B, key K to local-store key B/K.
    mkdirSync(path.join(config.localStoreRoot, bucket, 'videos'), { recursive: true });
    copyFileSync(makeClip({ seconds: SECONDS, fps: FPS, gop: FPS }), path.join(config.localStoreRoot, bucket, 'videos', 'talk.mp4'));
    writeFileSync(path.join(config.localStoreRoot, bucket, 'videos', 'broken.mp4'), Buffer.alloc(4096, 7));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('splits into ordered shards, transcodes each, merges verified outputs and cleans up', async () => {
    const flowInput = { oss_bucket_name: bucket, video_key: 'videos/talk.mp4', output_prefix: 'processed', segment_time_seconds: 2, dst_formats: ['mp4', 'mkv'] };
    const split = await invoke('split', flowInput);
    assert.deepEqual(Object.keys(split).sort(), ['split_keys', 'video_proc_dir']);
    const keys: string[] = split.split_keys;
    assert.equal(keys.length, 3, 'a 6 s clip with a keyframe every second, cut every 2 s');
    assert.deepEqual([...keys].sort(), keys, 'keys sort in shard order (zero-padded)');
    assert.match(keys[0], /shards\/000000\.nut$/);

    for (const target_type of flowInput.dst_formats) {
      for (const split_video_key of keys) {
        const r = await invoke('transcode', { split_video_key, target_type, video_proc_dir: split.video_proc_dir });
        assert.ok(r.frames > 0);
      }
    }
    for (const target_type of flowInput.dst_formats) {
      const merged = await invoke('merge', { ...flowInput, ...split, target_type });
      const key = `processed/talk/merged_talk.${target_type}`;
      assert.equal(merged[target_type], key, 'the sample returns {<target_type>: merged key, video_proc_dir}');
      assert.equal(merged.video_proc_dir, split.video_proc_dir);
      const file = path.join(config.localStoreRoot, bucket, key);
      const video = videoOf(file);
      // A single-pass encode of this constant-rate clip has SECONDS × FPS frames.
      assert.equal(video.frames, SECONDS * FPS);
      assert.ok(Math.abs(probeFile(file).duration - SECONDS) <= 1 / FPS + 0.05, `duration ${probeFile(file).duration}`);
      const audio = audioOf(file);
      assert.ok(audio, 'audio muxed in at merge');
      assert.ok(Math.abs(audio.duration - SECONDS) < 0.1, `audio lasts ${audio.duration}`);
    }

    const procDir = split.video_proc_dir.replace(/^file:\/\//, '');
    assert.ok(existsSync(procDir));
    const done = await invoke('after-process', { video_proc_dir: split.video_proc_dir });
    assert.ok(done.deleted > 0);
    assert.ok(!existsSync(procDir), 'after-process removes the work directory');
  });

  it('merge refuses to join shards that were never transcoded', async () => {
    const flowInput = { oss_bucket_name: bucket, video_key: 'videos/talk.mp4', output_prefix: 'partial', segment_time_seconds: 2 };
    const split = await invoke('split', flowInput);
    await invoke('transcode', { split_video_key: split.split_keys[0], target_type: 'mp4', video_proc_dir: split.video_proc_dir });
    const err = await expectApplicationFailure(invoke('merge', { ...flowInput, ...split, target_type: 'mp4' }));
    assert.equal(err.type, 'InvalidJob');
    assert.match(err.message, /shard\(s\) 2, 3 of 3 were not transcoded/);
    assert.ok(!existsSync(path.join(config.localStoreRoot, bucket, 'partial')), 'nothing published');
    await invoke('after-process', { video_proc_dir: split.video_proc_dir });
  });

  it('a source that is not a video fails split with InvalidMedia and leaves no work directory', async () => {
    const err = await expectApplicationFailure(
      invoke('split', { oss_bucket_name: bucket, video_key: 'videos/broken.mp4', output_prefix: 'x', segment_time_seconds: 2 }),
    );
    assert.equal(err.type, 'InvalidMedia');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /broken\.mp4 is not a usable video/);
    const procRoot = path.join(dir, 'work', 'video-proc');
    assert.deepEqual(existsSync(procRoot) ? readdirSync(procRoot) : [], []);
  });

  it('bad events and unknown functions fail without retries', async () => {
    const unknown = await expectApplicationFailure(invoke('thumbnail', {}));
    assert.equal(unknown.type, 'InvalidJob');
    assert.equal(unknown.nonRetryable, true);
    assert.match(unknown.message, /"thumbnail" is not registered.*split, transcode, merge, after-process/);

    const format = await expectApplicationFailure(
      invoke('transcode', { split_video_key: 'x', target_type: 'wmv', video_proc_dir: `${config.workRoot}video-proc/none/` }),
    );
    assert.equal(format.type, 'InvalidJob');
    assert.match(format.message, /"wmv" is not supported; use one of mp4, mkv, webm, m3u8, flv, mov, avi/);

    // split checks every dst format before it cuts anything.
    const early = await expectApplicationFailure(invoke('split', { oss_bucket_name: bucket, video_key: 'videos/talk.mp4', segment_time_seconds: 2, dst_formats: ['mp4', 'wmv'] }));
    assert.equal(early.type, 'InvalidJob');
    assert.match(early.message, /"wmv" is not supported/);

    const outside = await expectApplicationFailure(invoke('after-process', { video_proc_dir: `file://${config.localStoreRoot}/` }));
    assert.equal(outside.type, 'InvalidJob');
    assert.match(outside.message, /not a work directory split made/);
    assert.ok(existsSync(path.join(config.localStoreRoot, bucket, 'videos', 'talk.mp4')), 'nothing outside the work area is deleted');

    const segment = await expectApplicationFailure(invoke('split', { oss_bucket_name: bucket, video_key: 'videos/talk.mp4', segment_time_seconds: 'soon' }));
    assert.match(segment.message, /segment_time_seconds/);

    const json = await invoke('after-process', JSON.stringify({ video_proc_dir: `${config.workRoot}video-proc/never-made/` }));
    assert.equal(json.deleted, 0, 'a JSON string event is parsed as FC functions parse theirs');
  });
});

describe('HTTP:Request activity', () => {
  let server: http.Server;
  let base: string;
  // The test server is on loopback, which flows may reach only when the worker allows it.
  const call = httpRequest({ policy: new AddressPolicy(['127.0.0.1']) });
  const run = (input: Parameters<typeof call>[0]) => runWithActivityContext(ctx(), () => call(input));

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/echo') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ method: req.method, query: Object.fromEntries(url.searchParams), body: Buffer.concat(chunks).toString(), auth: req.headers.authorization }));
        } else if (url.pathname === '/text') res.end('plain words');
        else if (url.pathname === '/slow') setTimeout(() => res.end('late'), 3000);
        else {
          res.statusCode = Number(url.pathname.slice(1)) || 404;
          res.end('no such thing');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends Method, Query, Headers and a JSON Body, and parses a JSON answer', async () => {
    const res = await run({ Method: 'POST', URL: `${base}/echo`, Query: { page: 2 }, Headers: { Authorization: 'Bearer t' }, Body: { a: 1 } });
    assert.equal(res.StatusCode, 200);
    assert.equal(res.Headers['content-type'], 'application/json');
    // The echoed credential is a field named like one: redacted before it could enter history.
    assert.deepEqual(res.Body, { method: 'POST', query: { page: '2' }, body: '{"a":1}', auth: '[redacted]' });
    const text = await run({ URL: `${base}/text` });
    assert.equal(text.Body, 'plain words');
  });

  it('4xx is final, 5xx and timeouts are retryable, non-http URLs are refused', async () => {
    const notFound = await expectApplicationFailure(run({ Method: 'GET', URL: `${base}/404` }));
    assert.equal(notFound.nonRetryable, true);
    assert.equal(notFound.type, 'HTTP.404');
    assert.match(notFound.message, /answered 404.*client error.*no such thing/);
    const unavailable = await expectApplicationFailure(run({ Method: 'GET', URL: `${base}/503` }));
    assert.equal(unavailable.nonRetryable, false);
    const slow = await expectApplicationFailure(run({ Method: 'GET', URL: `${base}/slow`, Timeout: 0.3 }));
    assert.equal(slow.type, 'HTTP.Timeout');
    assert.equal(slow.nonRetryable, false);
    const file = await expectApplicationFailure(run({ Method: 'GET', URL: 'file:///etc/passwd' }));
    assert.equal(file.type, 'HTTP.InvalidRequest');
    assert.equal(file.nonRetryable, true);
  });
});
