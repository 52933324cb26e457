// Per-frame comparison against the source's ideal frames, on a clip made so
// that every frame differs strongly from the next (moving stripes, changing
// colour): an honest encode matches frame by frame; an encode with one frame
// dropped and a later one doubled shows exactly the frames in between as
// their neighbours, and a low minimum, though its mean is still high.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareFrames, compareWindow, type FrameComparison } from '../../src/media/frameCompare';
import { misplacement, seamProblems, seamRanges } from '../../src/media/seamCheck';

const FPS = 25;
const FRAMES = 50;
/** Frame 20 is dropped and the source's frame 29 shown twice: output frames 20-28 show the source's next frame. */
const SHIFTED = { from: 20, to: 29 };

let dir: string;
let source: string;
let honest: string;
let shifted: string;

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

const misplaced = (c: FrameComparison): number[] => c.frames.filter((f) => misplacement(f) !== undefined).map((f) => f.index);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-compare-'));
  source = path.join(dir, 'stripes.mp4');
  honest = path.join(dir, 'honest.mp4');
  shifted = path.join(dir, 'shifted.mp4');
  // Stripes that move 40 px and a colour that turns every frame: no two frames alike. Lossless, so the
  // source's frames are exactly what was drawn.
  const pattern = "geq=lum='128+100*sin((X+N*40)/8)*cos((Y-N*23)/11)':cb='128+60*sin(N*0.9)':cr='128+60*cos(N*1.3)'";
  ffmpeg(['-f', 'lavfi', '-i', `nullsrc=size=320x240:rate=${FPS}:duration=${FRAMES / FPS},${pattern}`, '-c:v', 'libx264', '-qp', '0', '-g', '10', '-pix_fmt', 'yuv420p', source]);
  ffmpeg(['-i', source, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', honest]);
  ffmpeg([
    '-i', source,
    '-vf', `select='not(eq(n,${SHIFTED.from}))',loop=loop=1:size=1:start=${SHIFTED.to},setpts=N/${FPS}/TB`,
    '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', shifted,
  ]);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('compareFrames', () => {
  it('passes an honest encode and finds exactly the shifted frames of a dishonest one', async () => {
    const [good, bad] = await compareFrames({
      source,
      videoStream: 0,
      chain: { fps: `${FPS}/1`, rotation: 'auto' },
      encoded: [honest, shifted],
      width: 320,
      height: 240,
      neighbours: true,
    });
    assert.equal(good.frames.length, FRAMES);
    assert.equal(bad.frames.length, FRAMES, 'same frame count: counting frames cannot tell');
    assert.ok(good.min > 35, `honest encode's worst frame: ${good.min} dB`);
    assert.deepEqual(misplaced(good), []);

    assert.ok(bad.min < 20, `shifted encode's worst frame: ${bad.min} dB`);
    assert.ok(bad.worst >= SHIFTED.from && bad.worst < SHIFTED.to, `worst frame ${bad.worst}`);
    assert.deepEqual(misplaced(bad), range(SHIFTED.from, SHIFTED.to));
    for (const f of bad.frames.filter((f) => f.index < SHIFTED.from || f.index >= SHIFTED.to)) {
      assert.ok(f.psnr > 35, `untouched frame ${f.index}: ${f.psnr} dB`);
    }
    // What a mean would have said: the shifted encode still averages far above any threshold that
    // an honest low-quality encode could be held to.
    const mean = bad.frames.reduce((s, f) => s + f.psnr, 0) / bad.frames.length;
    assert.ok(mean > 30, `mean ${mean} dB`);
  });

  it('compares only the frames around cuts, on the grid anchored in source time, with the same scores', async () => {
    const seams = [
      { number: 1, frame: 20 },
      { number: 2, frame: 40 },
    ];
    const [whole] = await compareFrames({ source, videoStream: 0, chain: { fps: `${FPS}/1`, rotation: 'auto' }, encoded: [shifted], width: 320, height: 240 });
    const [part] = await compareFrames({
      source,
      videoStream: 0,
      chain: { fps: `${FPS}/1`, rotation: 'auto', anchor: 0 },
      encoded: [shifted],
      width: 320,
      height: 240,
      ranges: seamRanges(seams, FRAMES),
      neighbours: true,
    });
    // Three frames each side of a seam are judged; one more each side gives them both neighbours.
    assert.deepEqual(
      part.frames.map((f) => f.index),
      [...range(16, 24), ...range(36, 44)],
    );
    for (const f of part.frames) assert.ok(Math.abs(f.psnr - whole.frames[f.index].psnr) < 0.01, `frame ${f.index}: ${f.psnr} vs ${whole.frames[f.index].psnr}`);
    // Neighbours are scored inside a window only.
    assert.equal(part.frames[0].prev, undefined);
    assert.equal(part.frames[8].prev, undefined);
    assert.deepEqual(misplaced(part), [20, 21, 22]);

    const problems = seamProblems(seams, part.frames, FRAMES);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /^seam 1 \(frame 20\): frame\(s\) 20-22 show the source frame after their own/);
  });

  it('scores a window the same after seeking to it as from the start', async () => {
    const [whole] = await compareFrames({ source, videoStream: 0, chain: { fps: `${FPS}/1`, rotation: 'auto' }, encoded: [shifted], width: 320, height: 240 });
    for (const windowRange of [{ from: 16, to: 24 }, { from: 36, to: 44 }, { from: 0, to: 4 }]) {
      const [w] = await compareWindow({
        source,
        videoStream: 0,
        fps: `${FPS}/1`,
        rotation: 'auto',
        gridStart: 0,
        encoded: [{ file: shifted, start: 0 }],
        range: windowRange,
        width: 320,
        height: 240,
        neighbours: true,
      });
      assert.deepEqual(
        w.frames.map((f) => f.index),
        range(windowRange.from, windowRange.to),
      );
      for (const f of w.frames) assert.ok(Math.abs(f.psnr - whole.frames[f.index].psnr) < 0.01, `frame ${f.index}: ${f.psnr} vs ${whole.frames[f.index].psnr}`);
    }
  });

  it('compares at a lower resolution when asked, and still tells the shifted frames', async () => {
    const [bad] = await compareFrames({
      source,
      videoStream: 0,
      chain: { fps: `${FPS}/1`, rotation: 'auto' },
      encoded: [shifted],
      width: 320,
      height: 240,
      maxShortSide: 60,
      neighbours: true,
    });
    assert.deepEqual(misplaced(bad), range(SHIFTED.from, SHIFTED.to));
  });
});
