// Bad input must fail in seconds, without retries, with a message that names
// the object and gives the reason, and must leave nothing behind: no partial
// output, no work area, no scratch files. Real dev server, real ffprobe.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import { PHASE_KEY } from '../../src/core/names';
import { probeFile } from '../support/ffprobe';
import { createTestEnv, type TestEnv } from '../support/testEnv';

/** Generous for a 2-core machine shared with other work; a retried activity would take far longer (1 s, 2 s, 4 s... backoff). */
const FAIL_FAST_MS = 20_000;
/** Things an error message must never carry: JS stack frames or Node internals. */
const STACK_NOISE = /\bat (Object\.|async |new |process\.|[\w.$<>]+ \()|node:internal|\.js:\d+:\d+/;

/** Top-level MP4 boxes in file order, to prove where the moov sits. */
function topLevelBoxes(file: string): string[] {
  const buf = readFileSync(file);
  const boxes: string[] = [];
  for (let at = 0; at + 8 <= buf.length; ) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    boxes.push(type);
    if (size < 8) break;
    at += size;
  }
  return boxes;
}

/** The innermost ApplicationFailure in a failure's cause chain (workflow failure → activity failure → application failure). */
function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let e = err as Error | undefined; e; e = (e as { cause?: Error }).cause) {
    if (e instanceof ApplicationFailure) found = e;
  }
  return found;
}

interface ActivityRun {
  name: string;
  /** Attempt number of the recorded start; the server records only the last attempt's start. */
  attempts: number[];
  scheduled: number;
}

/** Activities the workflow scheduled, from its recorded history. */
async function activityRuns(handle: WorkflowHandle): Promise<Map<string, ActivityRun>> {
  const history = await handle.fetchHistory();
  const byScheduledId = new Map<string, string>();
  const runs = new Map<string, ActivityRun>();
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const name = scheduled.activityType?.name ?? '?';
      byScheduledId.set(String(e.eventId), name);
      const run = runs.get(name) ?? { name, attempts: [], scheduled: 0 };
      run.scheduled++;
      runs.set(name, run);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const name = byScheduledId.get(String(started.scheduledEventId)) ?? '?';
      runs.get(name)?.attempts.push(started.attempt ?? 0);
    }
  }
  return runs;
}

describe('bad input fails fast, non-retryably, and leaves nothing behind', () => {
  let env: TestEnv;
  let media: string;
  before(async () => {
    env = await createTestEnv();
    media = path.join(env.dir, 'inputs');
    mkdirSync(media, { recursive: true });
  });
  after(async () => {
    await env?.close();
  });

  let jobCount = 0;
  function outputFor(): { url: string; dir: string } {
    const dir = path.join(env.dir, 'outputs', `job-${++jobCount}`);
    return { url: `file://${dir}/`, dir };
  }

  interface Expected {
    type: 'InvalidMedia' | 'MissingObject' | 'InvalidJob';
    /** Every fragment must appear in the message. */
    mentions: (string | RegExp)[];
    /** How many times probeSource may have been scheduled: once for media errors, never for job errors caught before it. */
    probes: 0 | 1;
  }

  /** Starts a job that must fail, and checks everything a failed bad-input job promises. */
  async function expectRejected(input: Omit<TranscodeJobInput, 'output'> & { output?: string }, want: Expected): Promise<ApplicationFailure> {
    const out = outputFor();
    const started = Date.now();
    const handle = await env.start({ renditions: ['mp4-360p'], ...input, output: input.output ?? out.url } as TranscodeJobInput);
    const err = await handle.result().then(
      () => assert.fail('the job should have failed'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof WorkflowFailedError, `expected a workflow failure, got ${String(err)}`);
    assert.ok(elapsed < FAIL_FAST_MS, `took ${elapsed} ms to fail`);

    const failure = applicationFailureOf(err);
    assert.ok(failure, 'the cause chain holds an ApplicationFailure');
    assert.equal(failure.type, want.type, failure.message);
    assert.equal(failure.nonRetryable, true, 'permanent errors are non-retryable');
    for (const m of want.mentions) {
      if (typeof m === 'string') assert.ok(failure.message.includes(m), `message ${JSON.stringify(failure.message)} should mention ${m}`);
      else assert.match(failure.message, m);
    }
    assert.doesNotMatch(failure.message, STACK_NOISE, 'no stack-trace noise in the message');
    assert.doesNotMatch(failure.message, /\n/, 'one line, fit for a CLI or a UI');

    // One probe, on its first attempt, and nothing after it ran at all.
    const runs = await activityRuns(handle);
    const probe = runs.get('probeSource');
    if (want.probes === 0) assert.equal(probe, undefined, 'probeSource must not run');
    else {
      assert.equal(probe?.scheduled, 1, 'probeSource scheduled once');
      assert.deepEqual(probe?.attempts, [1], 'probeSource ran once, on its first attempt');
    }
    for (const stage of ['splitSource', 'encodeShard', 'encodeAudio', 'mergeRendition', 'publishOutputs']) {
      assert.equal(runs.has(stage), false, `${stage} must not run for bad input`);
    }
    for (const run of runs.values()) assert.ok(run.attempts.every((a) => a === 1), `${run.name} was retried: attempts ${run.attempts}`);

    // Nothing published, work area and scratch files gone, and the job marked failed for search.
    const outDir = input.output === undefined ? out.dir : undefined;
    if (outDir) assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, `${outDir} holds ${existsSync(outDir) ? readdirSync(outDir) : ''}`);
    assert.equal(existsSync(path.join(env.dir, 'work', handle.workflowId)), false, 'work area left behind');
    const scratch = env.config.scratchDir;
    assert.deepEqual(existsSync(scratch) ? readdirSync(scratch) : [], [], 'scratch files left behind');
    const described = await handle.describe();
    assert.equal(described.status.name, 'FAILED');
    assert.equal(described.typedSearchAttributes.get(PHASE_KEY), 'failed');
    return failure;
  }

  it('rejects a text file named .mp4, quoting ffprobe', async () => {
    const file = path.join(media, 'notes.mp4');
    writeFileSync(file, 'These are meeting notes, not a video.\n'.repeat(20));
    const url = `file://${file}`;
    await expectRejected({ source: url }, { type: 'InvalidMedia', mentions: [url, 'ffprobe', /Invalid data found when processing input/], probes: 1 });
  });

  it('rejects a zero-byte file', async () => {
    const file = path.join(media, 'empty.mp4');
    writeFileSync(file, '');
    const url = `file://${file}`;
    await expectRejected({ source: url }, { type: 'InvalidMedia', mentions: [url, /empty|0 bytes/], probes: 1 });
  });

  it('rejects an MP4 cut off before its moov box', async () => {
    // Without +faststart the mp4 muxer writes moov after mdat, so the first half of the file holds no index.
    const file = path.join(media, 'cut-before-moov.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
    const boxes = topLevelBoxes(file);
    assert.ok(boxes.indexOf('moov') > boxes.indexOf('mdat'), `moov must follow mdat: ${boxes.join(' ')}`);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    assert.equal(topLevelBoxes(file).includes('moov'), false);
    const url = `file://${file}`;
    await expectRejected({ source: url }, { type: 'InvalidMedia', mentions: [url, 'ffprobe', /moov atom not found/], probes: 1 });
  });

  it('rejects a missing object', async () => {
    const url = `file://${path.join(media, 'never-uploaded.mp4')}`;
    await expectRejected({ source: url }, { type: 'MissingObject', mentions: [url, 'does not exist'], probes: 1 });
  });

  it('rejects an unknown preset, naming the field', async () => {
    const failure = await expectRejected(
      { source: `file://${path.join(media, 'any.mp4')}`, renditions: ['mp4-360p', 'mp4-9000p'] },
      { type: 'InvalidJob', mentions: ['renditions[1]', 'mp4-9000p', 'mp4-360p'], probes: 0 },
    );
    // The message lists the known presets so the user can correct the job.
    assert.match(failure.message, /known presets/);
  });

  it('rejects a negative segmentSeconds, naming the field', async () => {
    await expectRejected(
      { source: `file://${path.join(media, 'any.mp4')}`, segmentSeconds: -5 },
      { type: 'InvalidJob', mentions: ['segmentSeconds', '-5'], probes: 0 },
    );
  });

  it('rejects an output prefix inside the work area, however the path is spelled', async () => {
    const workRoot = env.config.workRoot.replace(/\/?$/, '/');
    const parent = workRoot.replace(/[^/]+\/$/, '');
    const work = workRoot.slice(parent.length);
    // The plain spelling, and two that name the same folder: "/./" and a doubled slash.
    for (const inside of [`${workRoot}someone-elses-job/out/`, `${parent}./${work}someone-elses-job/out/`, `${parent}/${work}someone-elses-job/`]) {
      await expectRejected(
        { source: `file://${path.join(media, 'any.mp4')}`, output: inside },
        { type: 'InvalidJob', mentions: ['output', inside, 'work area'], probes: 0 },
      );
    }
    assert.equal(existsSync(path.join(env.dir, 'work', 'someone-elses-job')), false, 'nothing written inside the work area');
  });

  it('rejects paths with ".." in the source or the output', async () => {
    const sneaky = `file://${media}/../../../etc/passwd`;
    await expectRejected({ source: sneaky }, { type: 'InvalidJob', mentions: ['"source"', '..'], probes: 0 });
    const out = `file://${env.dir}/outputs/../../escape/`;
    await expectRejected({ source: `file://${path.join(media, 'any.mp4')}`, output: out }, { type: 'InvalidJob', mentions: ['"output"', '..'], probes: 0 });
    assert.equal(existsSync(path.resolve(env.dir, '..', 'escape')), false);
  });

  it('rejects an audio-only source when the rendition drops the audio: there would be nothing to write', async () => {
    const file = path.join(media, 'tone-for-silence.m4a');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'aac', file]);
    await expectRejected(
      { source: `file://${file}`, renditions: [{ name: 'mute', container: 'mp4', video: { codec: 'h264', height: 360 }, audio: { codec: 'none' } }] },
      { type: 'InvalidJob', mentions: ['mute', 'no video stream'], probes: 1 },
    );
  });

  // Not bad input: the chosen behaviour for a source without video is an audio-only output.
  it('turns an audio-only source into an audio-only output', async () => {
    const file = path.join(media, 'tone.m4a');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:a', 'aac', file]);
    const source = probeFile(file).streams;
    assert.deepEqual(source.map((s) => s.type), ['audio'], 'precondition: no video in the source');

    const out = outputFor();
    const result = await env.run({ source: `file://${file}`, output: out.url, renditions: ['mp4-360p'] });
    assert.equal(result.shards, 0);
    assert.deepEqual(readdirSync(out.dir).sort(), ['manifest.json', 'mp4-360p.mp4']);
    const streams = probeFile(path.join(out.dir, 'mp4-360p.mp4')).streams;
    assert.deepEqual(streams.map((s) => `${s.type}:${s.codec}`), ['audio:aac']);
    // Same length as the source, give or take AAC's priming and padding (two 1024-sample frames).
    assert.ok(Math.abs(streams[0].duration - source[0].duration) <= 2048 / 48000, `audio lasts ${streams[0].duration} s`);
    const manifest = JSON.parse(readFileSync(path.join(out.dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.renditions[0].frames, 0);
    assert.equal(manifest.sourceInfo.videoCodec, undefined);
    assert.equal(existsSync(path.join(env.dir, 'work', result.jobId)), false, 'work area left behind');
  });
});
