// The rules that judge outputs, without ffmpeg: frame-rate sanity, where the
// seams fall and what makes one wrong, the comparison's ffmpeg arguments, and
// the check's table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileCheck } from '../../src/check/checkFile';
import { formatTable, summaryLine } from '../../src/check/report';
import { PRESETS } from '../../src/core/job/presets';
import { frameStackArgs, referenceEncodeArgs } from '../../src/media/compareArgs';
import { seekingPays } from '../../src/core/media/seamSeeking';
import { sourceInput } from '../../src/media/sourceInput';
import { compareSize, normalizeRanges, planePsnr } from '../../src/media/frameCompare';
import { frameRateProblem, isStandardRate } from '../../src/media/frameRateCheck';
import { misplacement, SEAM_PSNR_FLOOR_DB, seamProblems, seamRanges, seamsOf } from '../../src/media/seamCheck';

describe('frame rate sanity', () => {
  it('knows standard rates from timebases and raw averages', () => {
    for (const r of [1, 12, 15, 24000 / 1001, 24, 25, 30000 / 1001, 30, 50, 60000 / 1001, 60, 120]) assert.ok(isStandardRate(r), String(r));
    for (const r of [1000, 90000, 359 / 12, 2505000 / 83831, 60.06, 0.5]) assert.ok(!isStandardRate(r), String(r));
  });

  it('refuses a timebase taken for a rate, and a rate above the source', () => {
    assert.match(frameRateProblem({ output: '1000/1', sourceRate: 24 })!, /1000\/1 is not a standard rate/);
    assert.match(frameRateProblem({ output: '30/1', sourceRate: 24 })!, /above the 24.000 frames per second/);
    assert.match(frameRateProblem({ output: '120/1', sourceRate: 29.88 })!, /above/);
    assert.equal(frameRateProblem({ output: '24/1', sourceRate: 24 }), undefined);
    assert.equal(frameRateProblem({ output: '60/1', sourceRate: 60.06 }), undefined);
    // A VFR phone clip averaging below the rate it was shot at snaps up to it.
    assert.equal(frameRateProblem({ output: '30/1', sourceRate: 29.31 }), undefined);
    assert.equal(frameRateProblem({ output: '30000/1001', sourceRate: undefined }), undefined);
  });

  it('takes the rate a rendition asks for, and only that', () => {
    assert.equal(frameRateProblem({ output: '50/1', sourceRate: 25, asked: 50 }), undefined);
    assert.match(frameRateProblem({ output: '25/1', sourceRate: 25, asked: 50 })!, /not the 50 fps asked for/);
    assert.match(frameRateProblem({ output: undefined })!, /missing/);
  });
});

describe('seams', () => {
  it('fall where the cuts land on the grid, inside the video', () => {
    // 24 fps grid starting at 0.5 s; cuts at 2.5 s and 4.54 s; one cut before the start is ignored.
    assert.deepEqual(seamsOf([0.4, 2.5, 4.54], 0.5, 24, 200), [
      { number: 2, frame: 48 },
      { number: 3, frame: 97 },
    ]);
    // Three frames judged each side, one more each side compared for their neighbours.
    assert.deepEqual(seamRanges([{ number: 1, frame: 2 }, { number: 2, frame: 50 }, { number: 3, frame: 99 }], 100), [
      { from: 0, to: 6 },
      { from: 46, to: 54 },
      { from: 95, to: 100 },
    ]);
  });

  it('call a frame misplaced when it shows the source frame next door, not noise', () => {
    // A shift at a scene cut: the neighbour's picture, encoded well (figures as measured on a shifted encode).
    assert.equal(misplacement({ index: 20, psnr: 10.6, prev: 13.5, next: 42.2, changeBefore: 10.5, changeAfter: 10.6 }), 1);
    assert.equal(misplacement({ index: 20, psnr: 10.6, prev: 42.2, next: 13.5, changeBefore: 10.6, changeAfter: 10.5 }), -1);
    // Repeated source frames tie.
    assert.equal(misplacement({ index: 5, psnr: 40, prev: 40, changeBefore: 100 }), undefined);
    // Honest encodes measured closer to a near-identical neighbour (x264 crf 30 and crf 38): the source
    // changes less there than the encoding error, so the margin is noise.
    assert.equal(misplacement({ index: 37, psnr: 40.5, prev: 41.5, changeBefore: 46.9 }), undefined);
    assert.equal(misplacement({ index: 8, psnr: 54.6, next: 59.3, changeAfter: 56.6 }), undefined);
    assert.equal(misplacement({ index: 316, psnr: 22.7, next: 23.8, changeAfter: 19.5 }), undefined);
    assert.equal(misplacement({ index: 5, psnr: 40 }), undefined);
  });

  it('name each bad seam once, with its frames', () => {
    const seams = [
      { number: 1, frame: 10 },
      { number: 2, frame: 20 },
      { number: 3, frame: 30 },
    ];
    const scores = [...seamRanges(seams, 40)].flatMap((r) =>
      Array.from({ length: r.to - r.from }, (_, i) => ({ index: r.from + i, psnr: 40, prev: 20, next: 20, changeBefore: 15, changeAfter: 15 })),
    );
    scores.find((s) => s.index === 10)!.prev = 45;
    scores.find((s) => s.index === 11)!.prev = 45;
    // Wrong against every source frame near it: not a shift, not the picture.
    Object.assign(scores.find((s) => s.index === 21)!, { psnr: SEAM_PSNR_FLOOR_DB - 5, prev: SEAM_PSNR_FLOOR_DB - 6, next: SEAM_PSNR_FLOOR_DB - 6 });
    const missing = scores.filter((s) => s.index !== 32);
    const problems = seamProblems(seams, missing, 40);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^seam 1 \(frame 10\): frame\(s\) 10-11 show the source frame before their own \(frame 1[01]: 45.0 dB against 40.0 dB for its own\)/);
    assert.match(problems[1], /^seam 2 \(frame 20\): frame\(s\) 21 do not show the source's picture/);
    assert.match(problems[2], /^seam 3 \(frame 30\): frame\(s\) 32 have no source frame/);
    // A watermark lowers every frame; only the neighbour rule judges then.
    assert.equal(seamProblems(seams, missing, 40, { noFloor: true }).length, 2);
  });
});

describe('seeking to seams', () => {
  it('pays when a GOP per seam is under the decode up to the last seam', () => {
    // 60 s with a keyframe every 2 s: five seams at 10 s shards are sought, thirty at 2 s shards are not.
    assert.equal(seekingPays(5, 50, 60, 30), true);
    // One seam in the middle of 10 s: a GOP and the margin from it, not 5 s from the start.
    assert.equal(seekingPays(1, 5, 10, 5), true);
    assert.equal(seekingPays(2, 5, 10, 5), false);
    assert.equal(seekingPays(29, 58, 60, 30), false);
    // One keyframe: every seek would decode from the start.
    assert.equal(seekingPays(5, 50, 60, 1), false);
  });
});

describe('comparison arguments', () => {
  it('stack the ideal frames over each file, paired by index, for the selected frames only', () => {
    const args = frameStackArgs({
      source: '/in/a b.mov',
      videoStream: 2,
      chain: { fps: '30000/1001', rotation: 90, anchor: 1.5 },
      encoded: ['/out/x.mp4'],
      width: 320,
      height: 180,
      ranges: [{ from: 10, to: 16 }, { from: 40, to: 46 }],
      threads: 1,
    });
    // The source is opened as every job opens a user's file: container demuxers, file protocol only.
    assert.deepEqual(args.slice(0, 4 + sourceInput('/in/a b.mov').length), ['-copyts', '-threads', '1', '-noautorotate', ...sourceInput('/in/a b.mov')]);
    const graph = args[args.indexOf('-filter_complex') + 1];
    assert.equal(
      graph,
      "[0:2]transpose=clock,fps=fps=30000/1001:start_time=1.500000000,select='between(n,10,15)+between(n,40,45)',scale=320:180:flags=bicubic,format=yuv420p,settb=AVTB,setpts=N[ideal];" +
        "[1:v:0]select='between(n,10,15)+between(n,40,45)',scale=320:180:flags=bicubic,format=yuv420p,settb=AVTB,setpts=N[enc0];" +
        '[ideal][enc0]vstack=inputs=2:shortest=1[stack]',
    );
    assert.equal(args[args.indexOf('-frames:v') + 1], '12');
    assert.deepEqual(args.slice(-5), ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1']);
  });

  it('make the reference one plain command with the rendition settings', () => {
    const args = referenceEncodeArgs({
      source: '/in/a.mp4',
      videoStream: 0,
      audioStream: 1,
      fps: '24/1',
      width: 480,
      height: 360,
      rendition: PRESETS['mp4-360p'],
      audioChannels: 1,
      threads: 2,
      output: '/out/ref.mp4',
    });
    assert.deepEqual(args.slice(0, sourceInput('/in/a.mp4').length), sourceInput('/in/a.mp4'));
    assert.equal(args[args.indexOf('-filter:v') + 1], 'setpts=PTS-STARTPTS,fps=24/1,scale=480:360:flags=bicubic,setsar=1,format=yuv420p');
    assert.ok(!args.includes('-noautorotate'), 'ffmpeg turns the frames itself');
    for (const [flag, value] of [['-c:v', 'libx264'], ['-crf', '23'], ['-preset', 'veryfast'], ['-c:a', 'aac'], ['-b:a', '64k'], ['-ac', '1']]) {
      assert.equal(args[args.indexOf(flag) + 1], value, flag);
    }
    // A last frame without a duration is held for one frame, as a plain encode shows it.
    const held = referenceEncodeArgs({ source: '/in/a.ts', videoStream: 0, fps: '24/1', width: 640, height: 360, rendition: PRESETS['mp4-360p'], holdLastFrame: true, threads: 2, output: '/out/ref.mp4' });
    assert.match(held[held.indexOf('-filter:v') + 1], /^setpts=PTS-STARTPTS,tpad=stop=1:stop_mode=clone,fps=24\/1,/);
  });

  it('size, ranges and PSNR', () => {
    assert.deepEqual(compareSize(640, 360, 180), { width: 320, height: 180 });
    assert.deepEqual(compareSize(360, 640, 180), { width: 180, height: 320 });
    assert.deepEqual(compareSize(160, 120, 180), { width: 160, height: 120 });
    assert.deepEqual(normalizeRanges([{ from: 40, to: 46 }, { from: -3, to: 3 }, { from: 44, to: 50 }, { from: 7, to: 7 }]), [
      { from: 0, to: 3 },
      { from: 40, to: 50 },
    ]);
    const a = new Uint8Array([10, 20, 30, 40]);
    const b = new Uint8Array([10, 20, 30, 50]);
    assert.equal(planePsnr(a, 0, a, 0, 4), 100);
    assert.equal(planePsnr(a, 0, b, 0, 4).toFixed(2), (10 * Math.log10((255 * 255 * 4) / 100)).toFixed(2));
  });
});

describe('the check table', () => {
  const base: FileCheck = {
    file: '/media/clip.mp4',
    outcome: 'ok',
    reasons: [],
    notes: [],
    decodable: true,
    fps: { out: '24/1', ref: '24/1', source: 24 },
    frames: { out: 240, ref: 240 },
    size: { out: '480x360', ref: '480x360' },
    psnr: {
      out: { min: 36.04, worst: 136, frames: 240, misplaced: [], lowest: [] },
      ref: { min: 37.38, worst: 136, frames: 240, misplaced: [], lowest: [] },
    },
    audio: { out: [{ codec: 'aac', channels: 2, seconds: 9.91 }], ref: [{ codec: 'aac', channels: 2, seconds: 9.91 }] },
    seconds: { pipeline: 8.3, reference: 1.1, compare: 0.5, total: 10 },
    published: ['manifest.json', 'mp4-360p.mp4'],
  };

  it('has a row per file and the reasons under a file that does not pass', () => {
    const bad: FileCheck = { ...base, file: '/media/bad.mkv', outcome: 'mismatch', reasons: ['its audio has 2 channel(s), the reference\'s 1'] };
    const text = formatTable([base, bad]);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^file\s+result\s+frames out\/ref\s+min PSNR dB out\/ref\s+audio out\/ref\s+fps out\s+time s pipeline\/ref$/);
    assert.match(lines[1], /^clip\.mp4\s+ok\s+240\/240\s+36\.0@136 \/ 37\.4@136\s+2ch 9\.91s \/ 2ch 9\.91s\s+24\/1\s+8\.3\/1\.1$/);
    assert.match(lines[2], /^bad\.mkv\s+mismatch\s/);
    assert.equal(lines[3], "    its audio has 2 channel(s), the reference's 1");
    assert.equal(summaryLine([base, bad]), '2 file(s): 1 ok, 1 mismatch, 0 failed as expected, 0 failed; 1 do not pass\n');
  });
});
