// The thumbnail pieces that need no ffmpeg: the job option, tile and poster
// slots on the grid, tile and poster sizes, the sprite sheet layout, the
// WebVTT storyboard text and verify's reading of it, and the graph branch a
// shard adds to its encode.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { normalizeJob } from '../../src/core/job/jobInput';
import { thumbnailPlan, tileCount, tilesInSlots } from '../../src/core/job/thumbnails';
import { posterSize, shardThumbnailOutputs, spriteSheetArgs, tileSize } from '../../src/media/thumbnailArgs';
import { cueTimes, parseStoryboardVtt, storyboardLayout, storyboardProblems, storyboardVtt, tileRect, type Size } from '../../src/stream/storyboard';
import { formatTimestamp } from '../../src/stream/webvtt';

const base = { source: 'file:///in.mp4', output: 'file:///out/', package: 'hls' };
const NTSC = { num: 30000, den: 1001 };

function invalid(raw: unknown, pattern: RegExp): void {
  assert.throws(
    () => normalizeJob(raw),
    (err: unknown) => err instanceof ApplicationFailure && err.type === 'InvalidJob' && err.nonRetryable && pattern.test(err.message),
  );
}

describe('thumbnailSeconds', () => {
  it('defaults to 2 s, takes 1 to 60, and 0 turns thumbnails off', () => {
    assert.equal(normalizeJob(base).stream?.thumbnailSeconds, 2);
    assert.equal(normalizeJob({ ...base, thumbnailSeconds: 5.5 }).stream?.thumbnailSeconds, 5.5);
    assert.equal(normalizeJob({ ...base, thumbnailSeconds: 0 }).stream?.thumbnailSeconds, 0);
  });

  it('refuses other values and a file job, naming the field and the range', () => {
    for (const bad of [0.5, -2, 61, '2', null, Number.NaN]) invalid({ ...base, thumbnailSeconds: bad }, /"thumbnailSeconds" must be a number from 1 to 60 .*or 0 for no thumbnails/);
    invalid({ source: base.source, output: base.output, thumbnailSeconds: 2 }, /"thumbnailSeconds" need "package"/);
  });
});

describe('tile and poster slots', () => {
  it('puts a tile every whole number of frames and the poster 10 % in (the first frame of clips under 2 s)', () => {
    assert.deepEqual(thumbnailPlan(2, NTSC, 600, '720p'), { rung: '720p', tileFrames: 60, tileWidth: 160, posterSlot: 60, posterMaxShortSide: 720 });
    assert.equal(thumbnailPlan(1.5, { num: 25, den: 1 }, 300, 'x')?.tileFrames, 38, '37.5 frames round to 38');
    assert.equal(thumbnailPlan(2, { num: 25, den: 1 }, 49, 'x')?.posterSlot, 0, '1.96 s: the first frame');
    assert.equal(thumbnailPlan(2, { num: 25, den: 1 }, 50, 'x')?.posterSlot, 5);
    assert.equal(thumbnailPlan(0, { num: 25, den: 1 }, 50, 'x'), undefined, 'off');
  });

  it('counts one tile per started interval and gives each shard the tiles of its own slots', () => {
    assert.equal(tileCount(600, 60), 10);
    assert.equal(tileCount(601, 60), 11);
    // Shards of 100 slots, a tile every 60: tiles 0-1, 2-3 (slots 120, 180), 4 (240), none of 241-299 ... .
    assert.deepEqual(tilesInSlots(0, 100, 60), { first: 0, count: 2 });
    assert.deepEqual(tilesInSlots(100, 200, 60), { first: 2, count: 2 });
    assert.deepEqual(tilesInSlots(200, 300, 60), { first: 4, count: 1 });
    assert.deepEqual(tilesInSlots(241, 299, 60), { first: 5, count: 0 });
    const all = [0, 100, 200, 300, 400, 500].map((s) => tilesInSlots(s, Math.min(s + 100, 550), 60));
    assert.equal(all.reduce((sum, t) => sum + t.count, 0), tileCount(550, 60), 'every tile in exactly one shard');
  });
});

describe('tile and poster sizes', () => {
  it('keeps the upright picture\'s aspect with even sides, and caps the poster\'s short side', () => {
    assert.deepEqual(tileSize({ width: 1920, height: 1080 }, 160), { width: 160, height: 90 });
    assert.deepEqual(tileSize({ width: 1080, height: 1920 }, 160), { width: 160, height: 284 }, 'a portrait rung (a rotated phone clip)');
    assert.deepEqual(tileSize({ width: 426, height: 240 }, 160), { width: 160, height: 90 });
    assert.deepEqual(tileSize({ width: 120, height: 90 }, 160), { width: 120, height: 90 }, 'never wider than the picture');
    assert.deepEqual(posterSize({ width: 1920, height: 1080 }, 720), { width: 1280, height: 720 });
    assert.deepEqual(posterSize({ width: 1080, height: 1920 }, 720), { width: 720, height: 1280 });
    assert.deepEqual(posterSize({ width: 640, height: 360 }, 720), { width: 640, height: 360 });
  });
});

describe('sprite sheet layout', () => {
  const tile: Size = { width: 160, height: 90 };

  it('fills 10 x 10 sheets row by row; a last sheet is only as big as its tiles', () => {
    const layout = storyboardLayout(215, tile);
    assert.deepEqual(
      layout.sheets.map((s) => [s.name, s.firstTile, s.tiles, s.columns, s.rows, s.width, s.height]),
      [
        ['sprite-0.jpg', 0, 100, 10, 10, 1600, 900],
        ['sprite-1.jpg', 100, 100, 10, 10, 1600, 900],
        ['sprite-2.jpg', 200, 15, 10, 2, 1600, 180],
      ],
    );
    assert.deepEqual(tileRect(layout, 0), { sheet: 'sprite-0.jpg', x: 0, y: 0, w: 160, h: 90 });
    assert.deepEqual(tileRect(layout, 99), { sheet: 'sprite-0.jpg', x: 1440, y: 810, w: 160, h: 90 });
    assert.deepEqual(tileRect(layout, 113), { sheet: 'sprite-1.jpg', x: 480, y: 90, w: 160, h: 90 });
    assert.deepEqual(tileRect(layout, 214), { sheet: 'sprite-2.jpg', x: 640, y: 90, w: 160, h: 90 });
    assert.deepEqual(storyboardLayout(4, tile).sheets.map((s) => [s.width, s.height]), [[640, 90]], 'four tiles: one row of four');
  });

  it('tiles a sheet with ffmpeg\'s tile filter from the sheet\'s first tile', () => {
    const args = spriteSheetArgs({ tileDir: '/s/tiles', firstTile: 100, tiles: 15, columns: 10, rows: 2, output: '/s/sprite-1.jpg' });
    assert.deepEqual(args.slice(0, 6), ['-start_number', '100', '-f', 'image2', '-i', '/s/tiles/tile-%05d.png']);
    assert.ok(args.includes('tile=10x2:nb_frames=15'));
    assert.equal(args[args.length - 1], '/s/sprite-1.jpg');
  });
});

describe('storyboard WebVTT', () => {
  const tile: Size = { width: 160, height: 90 };
  // 29.97 fps, a tile every 60 frames (2.002 s), 1000 frames: 17 tiles, the last one 40 frames long.
  const grid = { tileFrames: 60, totalFrames: 1000, fps: NTSC };
  const layout = storyboardLayout(tileCount(1000, 60), tile);
  const sheets = new Map<string, Size | undefined>([['sprite-0.jpg', { width: 1600, height: 180 }]]);

  it('writes one cue per tile, each ending where the next begins, the last at the video\'s end', () => {
    const text = storyboardVtt(layout, grid);
    assert.ok(text.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:02.002\nsprite-0.jpg#xywh=0,0,160,90\n\n00:00:02.002 --> 00:00:04.004\nsprite-0.jpg#xywh=160,0,160,90\n'));
    assert.ok(text.includes('00:00:32.032 --> 00:00:33.367\nsprite-0.jpg#xywh=960,90,160,90\n'), 'the last tile: slots 960-999');
    const cues = parseStoryboardVtt(text);
    assert.equal(cues.length, 17);
    assert.deepEqual(cueTimes(16, grid), { start: 32032, end: 33367 });
    assert.deepEqual(storyboardProblems(cues, layout, grid, sheets), []);
    assert.equal(formatTimestamp(3_723_004), '01:02:03.004');
  });

  it('names a missing cue, a gap, an overlap, a wrong rectangle, one outside its sheet and a sheet of the wrong size', () => {
    const cues = parseStoryboardVtt(storyboardVtt(layout, grid));
    const one = (edit: (c: typeof cues) => void, size = sheets): string => {
      const copy = cues.map((c) => ({ ...c }));
      edit(copy);
      return storyboardProblems(copy, layout, grid, size).join(' | ');
    };
    assert.match(one((c) => c.pop()), /has 16 cues, the video's 1000 frames at one tile every 60 make 17.*the last cue ends at 00:00:32\.032, the video at 00:00:33\.367/);
    assert.match(one((c) => (c[3].start += 40)), /cue 3 starts at 00:00:06\.046, the one before ends at 00:00:06\.006/);
    assert.match(one((c) => (c[3].start -= 40)), /cue 3 starts at 00:00:05\.966, the one before ends at 00:00:06\.006/);
    assert.match(one((c) => (c[5].x = 0)), /cue 5 shows sprite-0\.jpg#xywh=0,0,160,90, its tile is sprite-0\.jpg#xywh=800,0,160,90/);
    assert.match(one((c) => (c[9].x = 1500)), /cue 9's rectangle 1500,0,160,90 reaches outside sprite-0\.jpg \(1600x180\)/);
    assert.match(one(() => undefined, new Map([['sprite-0.jpg', { width: 1600, height: 90 }]])), /sprite sheet sprite-0\.jpg is 1600x90, its 10x2 tiles of 160x90 need 1600x180/);
    assert.match(one(() => undefined, new Map()), /sprite sheet sprite-0\.jpg is missing/);
  });

  it('refuses a file that is not a storyboard, naming the line', () => {
    assert.throws(() => parseStoryboardVtt('00:00:00.000 --> 00:00:01.000\nx.jpg#xywh=0,0,1,1\n'), /does not start with "WEBVTT"/);
    assert.throws(() => parseStoryboardVtt('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nx.jpg\n'), /line 3 is not a storyboard cue/);
  });
});

describe('a shard\'s thumbnail outputs', () => {
  const t = { startSlot: 100, endSlot: 200, tileFrames: 60, tile: { width: 160, height: 90 }, tileDir: '/s/tiles' };

  it('picks the tile slots of the shard by frame number, numbers the files by tile, and adds the poster in its shard', () => {
    const outputs = shardThumbnailOutputs({ ...t, poster: { slot: 150, size: { width: 640, height: 360 }, file: '/s/poster.jpg' } }, 'picked')!;
    // Slot 120 is frame 20 of this shard; then every 60th frame. Slot 150 is frame 50.
    assert.match(outputs.graph, /^\[picked\]split=2\[tilesrc\]\[postersrc\];\[tilesrc\]select='gte\(n,20\)\*not\(mod\(n-20,60\)\)',scale=160:90/);
    assert.match(outputs.graph, /\[postersrc\]select='eq\(n,50\)',scale=640:360/);
    assert.deepEqual(outputs.outputs.slice(outputs.outputs.indexOf('-start_number'), outputs.outputs.indexOf('-start_number') + 3), ['-start_number', '2', '/s/tiles/tile-%05d.png']);
    assert.ok(outputs.outputs.includes('/s/poster.jpg'));
  });

  it('adds nothing to a shard without a tile slot or the poster\'s', () => {
    assert.equal(shardThumbnailOutputs({ ...t, startSlot: 241, endSlot: 299, poster: { slot: 0, size: { width: 2, height: 2 }, file: '/p' } }, 'picked'), undefined);
    assert.doesNotMatch(shardThumbnailOutputs({ ...t, poster: { slot: 0, size: { width: 2, height: 2 }, file: '/p' } }, 'picked')!.graph, /poster/);
  });
});
