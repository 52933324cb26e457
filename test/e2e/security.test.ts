// Attacks on ids, paths, sources, leftovers and storage credentials, each
// reproduced against the real dev server, real ffmpeg and real stores. Every
// test here failed before the matching control existed: the work root was
// deleted, a playlist read another file, a terminated job's shards stayed
// forever, a manifest carried a URL's signature, a wrong secret went unnoticed.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { fileUrl } from '../../src/core/objectUrl';
import { TRANSCODE_WORKFLOW } from '../../src/core/names';
import { makeCanary, wasRead } from '../support/canary';
import { cliRunner } from '../support/cliRunner';
import { makeClip } from '../support/clips';
import { innermostApplicationFailure } from '../support/failures';
import { waitForPhase } from '../support/jobWaits';
import { until } from '../support/until';
import { S3RVER_KEY, startS3Server, type S3TestServer } from '../support/s3Server';
import { S3Store, s3SettingsFromEnv } from '../../src/storage/s3Store';
import { createTestEnv, type TestEnv } from '../support/testEnv';

async function jobFailure(handle: WorkflowHandle) {
  const err = await handle.result().then(
    () => assert.fail('the job succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const failure = innermostApplicationFailure(err);
  assert.ok(failure, `no application failure in ${String(err)}`);
  return failure;
}

async function scheduledActivities(handle: WorkflowHandle): Promise<{ name: string; attempt?: number }[]> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => {
      const id = e.eventId?.toString();
      const started = events.find((s) => s.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === id);
      return { name: e.activityTaskScheduledEventAttributes!.activityType?.name ?? '?', attempt: started?.activityTaskStartedEventAttributes?.attempt ?? undefined };
    });
}

describe('security: attacks that must fail', () => {
  let env: TestEnv;
  let workDir: string;
  const clip = (): string => makeClip({ seconds: 2, gop: 25 });
  /** putFile moves a local file into the store; hand it a copy. */
  const copyOf = (file: string): string => {
    const copy = path.join(env.dir, `copy-${path.basename(file)}`);
    copyFileSync(file, copy);
    return copy;
  };

  before(async () => {
    env = await createTestEnv();
    workDir = path.join(env.dir, 'work');
  });
  after(async () => {
    delete process.env.SHARDFLOW_FAILPOINTS;
    await env.close();
  });

  it('a workflow id such as "%2e" is refused before any activity, and deletes nothing', async () => {
    // Another job's shard in the work root: the attack deleted the whole root with it.
    const shard = path.join(workDir, 'other-job', 'shards', '000000.mkv');
    mkdirSync(path.dirname(shard), { recursive: true });
    writeFileSync(shard, 'another job is using this');
    const input = { source: fileUrl(clip()), output: `${fileUrl(path.join(env.dir, 'out-attack'))}/`, renditions: ['mp4-360p'], mediaTaskQueue: env.config.mediaTaskQueue };
    for (const workflowId of ['%2e', '%2E', '.', '..%2f..', '%252e%2f']) {
      // Started as any Temporal client can (the plain CLI does the same), bypassing shardflow's own checks.
      const handle = await env.client.workflow.start(TRANSCODE_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId, args: [input] });
      const failure = await jobFailure(handle);
      assert.equal(failure.type, 'InvalidJob', workflowId);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /cannot be a job id/);
      assert.ok(failure.message.includes(JSON.stringify(workflowId)), failure.message);
      assert.deepEqual(await scheduledActivities(handle), [], `${workflowId}: no activity may run`);
      assert.ok(existsSync(shard), `${workflowId} deleted another job's shard`);
    }
    rmSync(path.dirname(path.dirname(shard)), { recursive: true });
  });

  it('an HLS playlist uploaded as upload.mp4 fails InvalidMedia without the file it lists being read', async () => {
    const dir = path.join(env.dir, 'uploads');
    mkdirSync(dir, { recursive: true });
    // A file the job would happily transcode: without the control, the job succeeds on it.
    const listed = makeCanary(makeClip({ seconds: 2, gop: 25 }), path.join(dir, 'other-tenant.mp4'));
    const upload = path.join(dir, 'upload.mp4');
    writeFileSync(upload, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${listed}\n#EXT-X-ENDLIST\n`);
    const output = `${fileUrl(path.join(env.dir, 'out-playlist'))}/`;
    const handle = await env.start({ source: fileUrl(upload), output, renditions: ['mp4-360p'] });
    const failure = await jobFailure(handle);
    assert.equal(failure.type, 'InvalidMedia');
    assert.equal(failure.nonRetryable, true);
    assert.ok(failure.message.includes(fileUrl(upload)), failure.message);
    assert.match(failure.message, /"hls" file, not a media container/);
    assert.deepEqual((await scheduledActivities(handle)).map((a) => [a.name, a.attempt]), [['prepareWorkArea', 1], ['probeSource', 1], ['cleanWorkArea', 1]]);
    assert.equal(wasRead(listed), false, 'the listed file was read');
    assert.equal(existsSync(path.join(env.dir, 'out-playlist')), false, 'nothing published');
  });

  it('the manifest records the source without its query string', async () => {
    const dir = path.join(env.dir, 'signed');
    mkdirSync(dir, { recursive: true });
    // A name shaped like a presigned URL; the part after "?" is what a presigned source would leak.
    const signed = path.join(dir, 'clip.mp4?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=0badc0ffee');
    writeFileSync(signed, readFileSync(clip()));
    const output = path.join(env.dir, 'out-manifest');
    await env.run({ source: fileUrl(signed), output: `${fileUrl(output)}/`, renditions: ['mp4-360p'] });
    const manifest = readFileSync(path.join(output, 'manifest.json'), 'utf8');
    assert.equal(JSON.parse(manifest).source, fileUrl(path.join(dir, 'clip.mp4')));
    assert.doesNotMatch(manifest, /Signature|AKIAEXAMPLE/);
  });

  it('shardflow gc removes a terminated job\'s work area, keeps a running one, and reports unknown ones', async () => {
    const gc = cliRunner(env);
    const gcJson = async (...args: string[]) => {
      const r = await gc(['gc', '--json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { areas: { url: string; owner: string; status: string; action: string; objects: number }[] };
    };
    // A job holding its work area: one shard fails until repaired, so it waits, running.
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2';
    const handle = await env.start({ source: fileUrl(makeClip({ seconds: 3, gop: 25 })), output: `${fileUrl(path.join(env.dir, 'out-gc'))}/`, renditions: ['mp4-360p'], segmentSeconds: 1 });
    const jobId = handle.workflowId;
    await waitForPhase(handle, 'awaiting-repair', 180);
    delete process.env.SHARDFLOW_FAILPOINTS;
    const area = path.join(workDir, jobId);
    assert.ok(existsSync(path.join(area, 'video')), 'the job has encoded shards in its work area');
    const ghost = path.join(workDir, 'job-20200101-000000-ghost0', 'shards', '000000.mkv');
    mkdirSync(path.dirname(ghost), { recursive: true });
    writeFileSync(ghost, 'left by a job Temporal no longer knows');
    const notAnArea = path.join(workDir, 'notes.txt');
    writeFileSync(notAnArea, 'an object directly in the work root belongs to no job');

    const running = await gcJson('--older-than', '0');
    const mine = running.areas.find((a) => a.owner === jobId);
    assert.deepEqual([mine?.status, mine?.action], ['RUNNING', 'kept-running']);
    assert.ok(existsSync(area));
    assert.equal(existsSync(ghost), false, 'a job unknown to Temporal is not running');
    assert.deepEqual(running.areas.filter((a) => a.owner !== jobId).map((a) => [a.status, a.action]), [['UNKNOWN', 'removed']]);

    // Terminate runs no workflow code, so no cleanup: before gc these shards stayed forever.
    await handle.terminate('security test');
    await until('terminated', async () => ((await handle.describe()).status.name === 'TERMINATED' ? true : undefined));
    assert.ok(existsSync(area), 'termination left the work area');
    const recent = await gcJson();
    assert.deepEqual(recent.areas.map((a) => [a.owner, a.status, a.action]), [[jobId, 'TERMINATED', 'kept-recent']]);
    const dry = await gcJson('--older-than', '0', '--dry-run');
    assert.deepEqual(dry.areas.map((a) => [a.owner, a.action]), [[jobId, 'would-remove']]);
    assert.ok(existsSync(area));
    const removed = await gcJson('--older-than', '0');
    assert.deepEqual(removed.areas.map((a) => [a.owner, a.status, a.action]), [[jobId, 'TERMINATED', 'removed']]);
    assert.equal(existsSync(area), false);
    assert.ok(existsSync(notAnArea), 'what is not a work area stays');
  });

  describe('storage credentials', () => {
    let s3: S3TestServer;
    const saved: Record<string, string | undefined> = {};
    before(async () => {
      s3 = await startS3Server(['media-sec']);
      // The worker's own environment, as a deployment sets it, with the right key id and a wrong secret.
      for (const [k, v] of Object.entries({ ...s3.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret-7731' })) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    });
    after(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await s3?.close();
    });

    it('a worker signing with a wrong S3 secret fails AccessDenied at once, naming the object, not the secret', async () => {
      // The object is there: signed with the right secret, the job would read it.
      await new S3Store({ ...s3SettingsFromEnv(s3.env), credentials: S3RVER_KEY }).putFile('s3://media-sec/in/clip.mp4', copyOf(clip()));
      const before = s3.decisions.length;
      const handle = await env.start({ source: 's3://media-sec/in/clip.mp4', output: `${fileUrl(path.join(env.dir, 'out-s3'))}/`, renditions: ['mp4-360p'] });
      const failure = await jobFailure(handle);
      assert.equal(failure.type, 'AccessDenied');
      assert.equal(failure.nonRetryable, true);
      // A HEAD answer has no body, so S3 (and the proxy) cannot say why; the proxy's log does.
      assert.match(failure.message, /S3 denied reading s3:\/\/media-sec\/in\/clip\.mp4/);
      assert.ok(!failure.message.includes('not-the-secret-7731'), failure.message);
      assert.deepEqual(s3.decisions.slice(before).map((d) => d.outcome), ['SignatureDoesNotMatch'], 'one request, refused, not retried');
    });
  });
});
