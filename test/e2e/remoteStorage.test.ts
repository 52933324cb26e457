// Whole jobs through a real Temporal dev server with sources and outputs in
// remote stores: OSS (the in-process OSS server, through ali-oss) and S3
// (s3rver, through the AWS SDK). Outputs are fetched back and checked with
// ffprobe; manifest.json must be in the bucket.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { Stores } from '../../src/storage/stores';
import { makeClip } from '../support/clips';
import { innermostApplicationFailure } from '../support/failures';
import { videoOf } from '../support/ffprobe';
import type { VerifySeamsInput, VerifySeamsResult } from '../../src/core/contracts';
import { activityInputs, activityResults } from '../support/history';
import { OssServer } from '../support/ossServer';
import { startS3Server, type S3TestServer } from '../support/s3Server';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const OSS_KEY = { accessKeyId: 'LTAIe2ekey0001', accessKeySecret: 'e2e-oss-secret-31f0' };
const WRONG_SECRET = 'e2e-wrong-secret-77ab';
const SECONDS = 4;
const FPS = 25;

describe('jobs with oss:// and s3:// sources and outputs', () => {
  let oss: OssServer;
  let s3: S3TestServer;
  let dir: string;
  let stores: Stores;
  let clip: string;
  const saved: Record<string, string | undefined> = {};

  /** Worker settings come from the environment only, as in production; set before the workers start. */
  const setEnv = (vars: Record<string, string>): void => {
    for (const [k, v] of Object.entries(vars)) {
      if (!(k in saved)) saved[k] = process.env[k];
      process.env[k] = v;
    }
  };

  /** Fetches the rendition through the same stores a worker uses and checks it, and the manifest beside it. */
  const checkOutputs = async (output: string): Promise<void> => {
    const fetched = await mkdtemp(path.join(dir, 'fetched-'));
    const manifest = JSON.parse(readFileSync(await stores.for(output).localPath(`${output}manifest.json`, fetched), 'utf8'));
    assert.deepEqual(manifest.renditions.map((r: { name: string }) => r.name), ['mp4-360p']);
    const listed = (await stores.for(output).list(output)).map((o) => o.url).sort();
    assert.deepEqual(listed, [`${output}manifest.json`, `${output}mp4-360p.mp4`]);
    const v = videoOf(await stores.for(output).localPath(`${output}mp4-360p.mp4`, fetched));
    assert.equal(v.frames, SECONDS * FPS);
    assert.ok(Math.abs(v.duration - SECONDS) <= 1 / FPS + 0.002, `video lasts ${v.duration}`);
  };

  /** The job's failure as the workflow reports it: the innermost ApplicationFailure of the cause chain. */
  const jobFailure = async (work: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await work.then(
      () => assert.fail('expected the job to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const found = innermostApplicationFailure(err);
    assert.ok(found, 'an ApplicationFailure in the cause chain');
    return found;
  };

  before(async () => {
    oss = await OssServer.start({ credentials: [OSS_KEY], buckets: ['media'] });
    s3 = await startS3Server(['media-in', 'media-out']);
    dir = await mkdtemp(path.join(os.tmpdir(), 'remote-e2e-'));
    setEnv({
      ALIBABA_CLOUD_ACCESS_KEY_ID: OSS_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: OSS_KEY.accessKeySecret,
      OSS_ENDPOINT: oss.endpoint,
      OSS_REGION: 'cn-hangzhou',
      OSS_PATH_STYLE: '1',
      ...s3.env,
    });
    stores = new Stores(dir);
    clip = makeClip({ seconds: SECONDS, fps: FPS, gop: FPS });
    await stores.copy(`file://${clip}`, 'oss://media/in/clip.mp4');
    await stores.copy(`file://${clip}`, 's3://media-in/in/clip.mp4');
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await oss?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('with the default file:// work area', () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv({ mediaConcurrency: 2 });
    });
    after(async () => {
      await env?.close();
    });

    it('s3:// in → s3:// out', async () => {
      const result = await env.run({ source: 's3://media-in/in/clip.mp4', output: 's3://media-out/jobs/s3/', renditions: ['mp4-360p'], segmentSeconds: 2 });
      assert.equal(result.shards, 2);
      assert.equal(result.manifestUrl, 's3://media-out/jobs/s3/manifest.json');
      await checkOutputs('s3://media-out/jobs/s3/');
    });

    it('file:// in → oss:// out', async () => {
      const result = await env.run({ source: `file://${clip}`, output: 'oss://media/jobs/from-file/', renditions: ['mp4-360p'], segmentSeconds: 2 });
      assert.equal(result.manifestUrl, 'oss://media/jobs/from-file/manifest.json');
      await checkOutputs('oss://media/jobs/from-file/');
    });

    it('a missing oss:// source fails the job at once with MissingObject', async () => {
      const err = await jobFailure(env.run({ source: 'oss://media/in/missing.mp4', output: 'oss://media/jobs/missing/', renditions: ['mp4-360p'] }));
      assert.equal(err.type, 'MissingObject');
      assert.match(err.message, /oss:\/\/media\/in\/missing\.mp4 does not exist/);
      assert.deepEqual(oss.keys('media').filter((k) => k.startsWith('jobs/missing/')), []);
    });
  });

  describe('with the work area in OSS too', () => {
    let env: TestEnv;
    before(async () => {
      setEnv({ SHARDFLOW_WORK_URL: 'oss://media/work/' });
      env = await createTestEnv({ mediaConcurrency: 2 });
    });
    after(async () => {
      await env?.close();
    });

    it('oss:// in → oss:// out, shards and merges kept in the bucket, work area removed', async () => {
      oss.requests.length = 0;
      // Hiccups the store's own retries absorb: the job neither fails nor repeats an activity for them.
      oss.injectFault({ op: 'PutObject', kind: 'error', status: 503 });
      oss.injectFault({ op: 'GetObject', kind: 'drop' });
      const result = await env.run({ source: 'oss://media/in/clip.mp4', output: 'oss://media/jobs/oss/', renditions: ['mp4-360p'], segmentSeconds: 2 });
      assert.equal(result.shards, 2);
      await checkOutputs('oss://media/jobs/oss/');
      const wrote = new Set(oss.requests.filter((r) => r.op === 'PutObject').map((r) => r.key.split('/').slice(0, 3).join('/')));
      assert.ok(wrote.has(`work/${result.jobId}/video`), [...wrote].join(', '));
      // The source is read by range where it is: no copy of it is split into the work area.
      assert.ok(!wrote.has(`work/${result.jobId}/shards`), [...wrote].join(', '));
      assert.deepEqual(oss.keys('media').filter((k) => k.startsWith('work/')), []);
      assert.ok(oss.requests.every((r) => r.signature === 4));
      assert.ok(oss.requests.some((r) => r.op === 'PutObject' && r.status === 503));
    });
    it('reads a remote source by range: each shard fetches about its own share of the object, never all of it', async () => {
      const seconds = 20;
      const long = makeClip({ seconds, fps: FPS, gop: FPS, width: 640, height: 360 });
      await stores.copy(`file://${long}`, 'oss://media/in/long.mp4');
      const size = (await stores.for('oss://media/in/long.mp4').head('oss://media/in/long.mp4')).size;
      oss.requests.length = 0;
      const handle = await env.start({ source: 'oss://media/in/long.mp4', output: 'oss://media/jobs/ranged/', renditions: ['mp4-360p'], segmentSeconds: 5 });
      const result = await handle.result();
      assert.equal(result.shards, 4);
      const sourceReads = oss.requests.filter((r) => r.op === 'GetObject' && r.key === 'in/long.mp4');
      assert.ok(sourceReads.length > 0 && sourceReads.every((r) => r.range !== undefined), 'every read of the source is ranged');
      // Every shard's encode reports what it fetched; the shards are 5 s of a 20 s clip of even detail.
      const shards = await activityResults<{ frames: number; bytesRead?: number }>(env.client.workflow.getHandle(`${handle.workflowId}.shards-0`), 'encodeShard');
      assert.equal(shards.length, 4);
      for (const [i, shard] of shards.entries()) {
        const share = (size * shard.frames) / (seconds * FPS);
        assert.ok(shard.bytesRead !== undefined, `shard ${i + 1} reports its bytes`);
        assert.ok(shard.bytesRead <= 1.2 * share && shard.bytesRead >= 0.8 * share, `shard ${i + 1} read ${shard.bytesRead} bytes for a share of ${Math.round(share)}`);
      }
      const v = videoOf(await stores.for('oss://media/jobs/ranged/').localPath('oss://media/jobs/ranged/mp4-360p.mp4', await mkdtemp(path.join(dir, 'ranged-'))));
      assert.equal(v.frames, seconds * FPS);
    });

    it('spreads many seams over verify tasks, which read the merged file in the OSS work area by range', async () => {
      const seconds = 20;
      // A keyframe every 5 frames: each seam is sought alone, which is when verify spreads them.
      const long = makeClip({ seconds, fps: FPS, gop: 5, width: 320, height: 240 });
      await stores.copy(`file://${long}`, 'oss://media/in/seams.mp4');
      oss.requests.length = 0;
      const handle = await env.start({ source: 'oss://media/in/seams.mp4', output: 'oss://media/jobs/seams/', renditions: ['mp4-360p'], segmentSeconds: 1 });
      const result = await handle.result();
      assert.equal(result.shards, seconds);
      // 19 seams: verifyRendition compares 16, one verifySeams task the other 3.
      const parts = await activityInputs<VerifySeamsInput>(handle, 'verifySeams');
      assert.deepEqual(parts.map((p) => [p.url.startsWith('oss://media/work/'), p.seams.range]), [[true, { first: 16, count: 3 }]]);
      // Read through the range server, which counts what it fetched; a download would report nothing.
      const [read] = await activityResults<VerifySeamsResult>(handle, 'verifySeams');
      assert.ok(read.bytesRead !== undefined && read.bytesRead > 0, `the verifySeams task reports ${read.bytesRead} bytes read`);
      const v = videoOf(await stores.for('oss://media/jobs/seams/').localPath('oss://media/jobs/seams/mp4-360p.mp4', await mkdtemp(path.join(dir, 'seams-'))));
      assert.equal(v.frames, seconds * FPS);
    });

    it('without segmentSeconds, cuts a remote source at a keyframe near each even cut, so no shard fetches a GOP it drops', async () => {
      // 31 s in 3 s GOPs on 2 slots: two even shards would meet at 15.52 s, mid-GOP; the cut moves to 15 s.
      const clip31 = makeClip({ seconds: 31, fps: FPS, gop: 3 * FPS, width: 320, height: 240 });
      await stores.copy(`file://${clip31}`, 'oss://media/in/gop3.mp4');
      const size = (await stores.for('oss://media/in/gop3.mp4').head('oss://media/in/gop3.mp4')).size;
      const handle = await env.start({ source: 'oss://media/in/gop3.mp4', output: 'oss://media/jobs/snapped/', renditions: ['mp4-360p'] });
      const result = await handle.result();
      assert.equal(result.shards, 2);
      const shards = await activityResults<{ frames: number; bytesRead?: number }>(env.client.workflow.getHandle(`${handle.workflowId}.shards-0`), 'encodeShard');
      assert.deepEqual(shards.map((s) => s.frames).sort((a, b) => a - b), [15 * FPS, 16 * FPS]);
      for (const [i, shard] of shards.entries()) {
        const share = (size * shard.frames) / (31 * FPS);
        assert.ok(shard.bytesRead !== undefined && shard.bytesRead <= 1.2 * share, `shard ${i + 1} read ${shard.bytesRead} bytes for a share of ${Math.round(share)}`);
      }
      const v = videoOf(await stores.for('oss://media/jobs/snapped/').localPath('oss://media/jobs/snapped/mp4-360p.mp4', await mkdtemp(path.join(dir, 'snapped-'))));
      assert.equal(v.frames, 31 * FPS);
    });

    it('streaming output (HLS + DASH) with the work area and the output in OSS: segments, playlists, work area removed', async () => {
      const output = 'oss://media/jobs/stream/';
      const result = await env.run({ source: 'oss://media/in/clip.mp4', output, package: 'hls,dash', ladder: [240], streamSegmentSeconds: 2 });
      const names = (await stores.for(output).list(output)).map((o) => o.url.slice(output.length)).sort();
      assert.deepEqual(names, [
        '240p/index.m3u8', '240p/init.mp4', '240p/seg-00000.m4s', '240p/seg-00001.m4s',
        ...names.filter((n) => n.startsWith('audio/')),
        'manifest.json', 'manifest.mpd', 'master.m3u8', 'poster.jpg', 'thumbnails/sprite-0.jpg', 'thumbnails/thumbnails.vtt',
      ]);
      assert.ok(names.includes('audio/index.m3u8') && names.includes('audio/init.mp4'), names.join(', '));
      const fetched = await mkdtemp(path.join(dir, 'stream-'));
      const master = readFileSync(await stores.for(output).localPath(`${output}master.m3u8`, fetched), 'utf8');
      assert.match(master, /RESOLUTION=320x240,FRAME-RATE=25.000/);
      assert.equal(result.renditions[0].frames, SECONDS * FPS);
      assert.deepEqual(oss.keys('media').filter((k) => k.startsWith('work/')), []);
    });
  });

  describe('with a wrong OSS secret in the worker', () => {
    let env: TestEnv;
    before(async () => {
      setEnv({ SHARDFLOW_WORK_URL: `file://${dir}/work/`, ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET });
      env = await createTestEnv({ mediaConcurrency: 2 });
    });
    after(async () => {
      await env?.close();
    });

    it('fails the job with AccessDenied naming the object, not retried, secret not shown', async () => {
      oss.requests.length = 0;
      const err = await jobFailure(env.run({ source: 'oss://media/in/clip.mp4', output: 'oss://media/jobs/denied/', renditions: ['mp4-360p'] }));
      assert.equal(err.type, 'AccessDenied');
      assert.match(err.message, /oss:\/\/media\/in\/clip\.mp4/);
      assert.match(err.message, /SignatureDoesNotMatch/);
      assert.ok(!err.message.includes(WRONG_SECRET) && !err.message.includes(OSS_KEY.accessKeySecret), err.message);
      assert.deepEqual(
        oss.requests.map((r) => `${r.op} ${r.status}`),
        ['HeadObject 403'],
        'one request: neither the store nor Temporal retried the denial',
      );
    });
  });
});
