// `shardflow check`, the real CLI, over every file in ../shared/media and its
// corpus at 1 s shards (mp4-360p), plus generated files plain ffmpeg
// cannot decode. Every file is its own subtest: a decodable file must come out
// "ok" (the single-pass reference's frame count, a worst frame within 3 dB of
// the reference's worst frame, the reference's size, rate and audio), an
// undecodable one "failed-as-expected" (refused in under 10 s, for good,
// nothing published). The CLI's exit code must agree with the files.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileCheck } from '../../src/check/checkFile';
import { needsSharedClips, SHARED_MEDIA } from '../support/sharedMedia';

const CLI = path.resolve(__dirname, '../../../bin/shardflow.js');
const CORPUS = path.join(SHARED_MEDIA, 'corpus');
/** The whole folder at one shard length; files run one after another. */
const RUN_TIMEOUT_MS = 20 * 60_000;
/**
 * The shortest shards cut the most seams. Other lengths are proven frame by frame against plain ffmpeg
 * elsewhere, judged with ffmpeg rather than with our check: the corpus at 1 and 2 s by corpus.test.ts, the
 * shared clips at 0.5 to 3 s by sharedMedia.test.ts.
 */
const SHARD_SECONDS = 1;

interface CheckDocument {
  rendition: string;
  segmentSeconds: number;
  passed: boolean;
  files: FileCheck[];
}

/** Files the MANIFEST.tsv of a shared folder lists: the check must find each of them. */
function manifestFiles(dir: string): string[] {
  return readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0])
    .filter((name) => name !== '')
    .map((name) => path.join(dir, name));
}

/** Runs the CLI; passes each file's verdict line through to stderr as it comes. */
function runCheck(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', SHARDFLOW_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      for (const line of d.split('\n')) if (/: (ok|mismatch|failed|failed-as-expected) \([\d.]+ s\)$/.test(line)) process.stderr.write(`${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function why(f: FileCheck): string {
  return [...f.reasons, ...f.notes].join('; ') || 'no reason given';
}

describe('shardflow check over the shared media and its corpus', needsSharedClips('MANIFEST.tsv', 'corpus/MANIFEST.tsv'), () => {
  let dir: string;
  let undecodable: string[];
  let generatedOk: string[];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-check-'));
    const gen = path.join(dir, 'generated');
    mkdirSync(gen);
    // Text named like a video, and an MP4 cut before its index (moov at the end, as without +faststart).
    const text = path.join(gen, 'not_a_video.mp4');
    writeFileSync(text, 'this is not a video\n');
    const whole = path.join(dir, 'whole.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', whole]);
    const bytes = readFileSync(whole);
    const cut = path.join(gen, 'cut_before_moov.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    undecodable = [text, cut];
    // A TS whose audio starts 0.5 s after its video: the output must keep that distance.
    const base = path.join(dir, 'base.ts');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'mp2', base]);
    const late = path.join(gen, 'ts_audio_starts_late.ts');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-itsoffset', '0.5', '-i', base, '-i', base, '-map', '1:v', '-map', '0:a', '-c', 'copy', late]);
    // An MP4 with its index in front, cut short: plain ffmpeg decodes what is there (60 of 75 frames).
    const indexed = path.join(dir, 'indexed.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', '+faststart', indexed]);
    const whole2 = readFileSync(indexed);
    const truncated = path.join(gen, 'mp4_faststart_truncated.mp4');
    writeFileSync(truncated, whole2.subarray(0, Math.floor(whole2.length * 0.8)));
    generatedOk = [late, truncated];
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`every file at ${SHARD_SECONDS} s shards`, { timeout: RUN_TIMEOUT_MS + 60_000 }, async (t) => {
    const run = await runCheck([SHARED_MEDIA, CORPUS, path.join(dir, 'generated'), '-r', 'mp4-360p', '--segment-seconds', String(SHARD_SECONDS), '--json'], path.join(dir, 'data'));
    assert.ok(run.stdout.trim().startsWith('{'), `no JSON on stdout (exit ${run.code}): ${run.stderr.slice(-2000)}`);
    const doc = JSON.parse(run.stdout) as CheckDocument;
    assert.equal(doc.rendition, 'mp4-360p');
    assert.equal(doc.segmentSeconds, SHARD_SECONDS);
    assert.equal(run.code, doc.passed ? 0 : 1, 'exit code 0 exactly when every file passes');

    const byFile = new Map(doc.files.map((f) => [f.file, f]));
    const expected = [...manifestFiles(SHARED_MEDIA), ...manifestFiles(CORPUS), ...undecodable, ...generatedOk];
    assert.deepEqual([...byFile.keys()].sort(), [...expected].sort(), 'the check found every listed file and nothing else');

    for (const file of expected) {
      const name = path.relative(SHARED_MEDIA, file).startsWith('..') ? `generated/${path.basename(file)}` : path.relative(SHARED_MEDIA, file);
      await t.test(name, () => {
        const f = byFile.get(file)!;
        if (undecodable.includes(file)) {
          assert.equal(f.decodable, false);
          assert.equal(f.outcome, 'failed-as-expected', why(f));
          assert.ok(f.failure?.nonRetryable, 'refused for good');
          assert.ok((f.seconds.pipeline ?? Infinity) < 10, `refused in ${f.seconds.pipeline} s`);
          assert.deepEqual(f.published, []);
          return;
        }
        assert.equal(f.decodable, true, why(f));
        assert.equal(f.outcome, 'ok', why(f));
        // The verdict's own numbers, so "ok" cannot hide a broken rule.
        assert.equal(f.frames.out, f.frames.ref);
        assert.ok(f.psnr.out!.min >= f.psnr.ref!.min - 3, `worst frames: ${f.psnr.out!.min} dB against ${f.psnr.ref!.min} dB`);
        assert.equal(f.size.out, f.size.ref);
        assert.deepEqual(
          f.audio.out.map((a) => a.channels),
          f.audio.ref.map((a) => a.channels),
        );
      });
    }
  });
});

