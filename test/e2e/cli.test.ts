// The command line as users run it: real child processes, exit codes, JSON.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { cliRunner } from '../support/cliRunner';
import { createTestEnv, type TestEnv } from '../support/testEnv';

describe('shardflow CLI', () => {
  let env: TestEnv;
  const run = (args: string[], extraEnv: Record<string, string> = {}) => cliRunner(env)(args, extraEnv);

  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  it('prints help with the commands and exit codes', async () => {
    const res = await run(['--help']);
    assert.equal(res.code, 0);
    for (const cmd of ['demo', 'server', 'worker', 'transcode', 'status']) assert.match(res.stdout, new RegExp(`\\b${cmd}\\b`));
    assert.match(res.stdout, /Exit codes/);
  });

  it('transcodes with --wait --json, then reports the job with status --json', async () => {
    const clip = makeClip({ seconds: 3, fps: 25, gop: 25 });
    const out = path.join(env.dir, 'cli-out');
    const jobId = `cli-job-${process.pid}-${Date.now()}`;
    const res = await run(['transcode', clip, '-o', out, '-r', 'mp4-360p', '--segment-seconds', '1', '--job-id', jobId, '--wait', '--json']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const doc = JSON.parse(res.stdout.trim().split('\n').pop()!);
    assert.equal(doc.status, 'COMPLETED');
    assert.equal(doc.jobId, jobId);
    assert.ok(doc.uiUrl.endsWith(`/namespaces/default/workflows/${jobId}`), doc.uiUrl);
    assert.equal(doc.result.shards, 3);
    assert.equal(videoOf(path.join(out, 'mp4-360p.mp4')).frames, 75);

    const status = await run(['status', jobId, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.status, 'COMPLETED');
    assert.equal(s.progress?.phase ?? s.phase, 'succeeded');

    // Reused on a queue no worker polls, the job stays running, so the second start always meets it.
    const unpolled = { SHARDFLOW_TASK_QUEUE: `${jobId}-unpolled` };
    const again = await run(['transcode', clip, '-o', out, '--job-id', jobId], unpolled);
    assert.equal(again.code, 0, 'a finished job id may be reused');
    assert.match(again.stderr, /no worker polls task queue/);
    const dup = await run(['transcode', clip, '-o', out, '--job-id', jobId], unpolled);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /already running/);
    await env.client.workflow.getHandle(jobId).terminate('the test is over');
  });

  it('refuses an unknown preset with exit code 2 and names it, before starting anything', async () => {
    const clip = makeClip({ seconds: 3, fps: 25, gop: 25 });
    const res = await run(['transcode', clip, '-o', path.join(env.dir, 'x'), '-r', 'mp4-9000p']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /unknown preset "mp4-9000p"/);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  });

  it('refuses a bad --thumbnail-seconds, or one without --package, with exit code 2 before starting anything', async () => {
    const clip = makeClip({ seconds: 3, fps: 25, gop: 25 });
    const bad = await run(['transcode', clip, '-o', path.join(env.dir, 'x'), '--package', 'hls', '--thumbnail-seconds', '0.5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--thumbnail-seconds: "thumbnailSeconds" must be a number from 1 to 60 \(seconds between thumbnails\), or 0 for no thumbnails, got 0\.5/);
    const alone = await run(['transcode', clip, '-o', path.join(env.dir, 'x'), '--no-thumbnails']);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--no-thumbnails need --package hls,dash/);
  });

  it('exits 1 with the object and reason when the source is not a video', async () => {
    const fake = path.join(env.dir, 'notes.mp4');
    writeFileSync(fake, 'these are meeting notes, not a video\n');
    const res = await run(['transcode', fake, '-o', path.join(env.dir, 'bad-out'), '--wait']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /InvalidMedia/);
    assert.ok(res.stderr.includes(`file://${fake}`), res.stderr);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  it('exits 4 for an unknown job id and 3 when no server answers', async () => {
    const missing = await run(['status', 'no-such-job-here']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no job with id no-such-job-here/);
    const down = await run(['status', 'whatever'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /No Temporal server answers at 127\.0\.0\.1:1/);
    assert.equal(down.stderr.trim().split('\n').length, 1, 'one sentence, no stack');
  });
});
