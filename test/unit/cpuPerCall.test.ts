// bench/cpuPerCall.sh stands in for ffmpeg and ffprobe: the caller sees the
// real tool's output and exit status, and the log gains one line per call
// with the CPU it took.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = path.resolve(__dirname, '../../../bench/cpuPerCall.sh');

describe('bench/cpuPerCall.sh', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cpu-per-call-'));
  for (const tool of ['ffmpeg', 'ffprobe']) symlinkSync(SCRIPT, path.join(dir, tool));
  const log = path.join(dir, 'log');
  after(() => rmSync(dir, { recursive: true, force: true }));
  // The links' folder first on PATH, as when a worker finds the tools by name: the script must still find the real ones.
  const run = (tool: string, args: string[]) =>
    spawnSync(path.join(dir, tool), args, { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  const lines = (): string[] => readFileSync(log, 'utf8').trim().split('\n');

  it('passes the tool output and exit status through and logs each call with its CPU', () => {
    const version = run('ffprobe', ['-version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^ffprobe version /);

    const missing = run('ffprobe', ['-v', 'error', path.join(dir, 'no-such-file.mp4')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No such file or directory/);

    const encode = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=640x360:d=2', '-c:v', 'libx264', '-f', 'null', '-']);
    assert.equal(encode.status, 0, encode.stderr);

    const logged = lines();
    assert.equal(logged.length, 3);
    const fields = logged.map((l) => /^(ffmpeg|ffprobe) (\d+\.\d+) (\d+\.\d+) (\d+\.\d+) :: (.*)$/.exec(l));
    assert.ok(fields.every((f) => f !== null), logged.join('\n'));
    assert.deepEqual(fields.map((f) => [f![1], f![5]]), [
      ['ffprobe', '-version'],
      ['ffprobe', `-v error ${path.join(dir, 'no-such-file.mp4')}`],
      ['ffmpeg', '-hide_banner -loglevel error -f lavfi -i testsrc2=s=640x360:d=2 -c:v libx264 -f null -'],
    ]);
    // Two seconds of x264 take real CPU; a version string takes almost none.
    const cpu = (f: RegExpExecArray): number => Number(f[2]) + Number(f[3]);
    assert.ok(cpu(fields[2]!) > 0.05, `encode CPU ${cpu(fields[2]!)} s`);
    assert.ok(cpu(fields[2]!) > cpu(fields[0]!));
  });
});
