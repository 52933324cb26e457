// Thumbnails of streaming output through the real dev server and ffmpeg: the
// poster, the sprite sheet and the WebVTT storyboard a 12 s clip gets, read
// back with ffprobe and an independent VTT reading, and tiles compared with
// the source frames at their grid slots (testsrc2 changes every frame, so a
// tile one frame late is told apart). Turning thumbnails off, and verify's
// reading of a broken storyboard, are checked too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { VerifyStreamInput } from '../../src/core/contracts';
import { rungRendition } from '../../src/core/job/streamPackage';
import { thumbnailPlan } from '../../src/core/job/thumbnails';
import { thumbnailProblems } from '../../src/activities/verifyThumbnails';
import { FileStore } from '../../src/storage/fileStore';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { makeClip } from '../support/clips';
import { framePsnr, gridFrames } from '../support/frameCompare';
import { videoOf } from '../support/ffprobe';

const FPS = 25;
const SECONDS = 12;
/** A tile or poster is its own source frame above this luma PSNR (JPEG costs a few dB); testsrc2's neighbouring frames score about 27 dB. */
const SAME_FRAME_DB = 33;

interface Cue {
  start: number;
  end: number;
  file: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The storyboard's cues, read without the project's own parser. */
function readVtt(text: string): Cue[] {
  assert.ok(text.startsWith('WEBVTT\n'), 'a WebVTT file');
  const seconds = (t: string): number => t.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  return text
    .trim()
    .split(/\n\n+/)
    .slice(1)
    .map((block) => {
      const [times, payload] = block.split('\n');
      const [from, to] = times.split(' --> ');
      const m = /^([^#]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(payload);
      assert.ok(m, `cue payload ${payload}`);
      return { start: seconds(from), end: seconds(to), file: m[1], x: +m[2], y: +m[3], w: +m[4], h: +m[5] };
    });
}

function sizeOf(file: string): [number, number] {
  const v = videoOf(file);
  return [v.width!, v.height!];
}

/** Rectangle `r` of an image, losslessly (PNG). */
function crop(image: string, r: Cue, out: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', image, '-vf', `crop=${r.w}:${r.h}:${r.x}:${r.y}`, '-frames:v', '1', '-update', '1', out]);
  return out;
}

describe('streaming thumbnails: poster, sprite sheet and storyboard made by the shards', () => {
  let env: TestEnv;
  let source: string;
  let out: string;
  before(async () => {
    env = await createTestEnv();
    source = makeClip({ seconds: SECONDS, fps: FPS, width: 640, height: 360, gop: 48 });
    out = path.join(env.dir, 'stream');
    const started = Date.now();
    // 4 s shards of 2 s segments: 3 shards; a tile every second: 12 tiles, tile 4 and tile 8 open shards 2 and 3.
    await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls', ladder: [360, 180], streamSegmentSeconds: 2, segmentSeconds: 4, thumbnailSeconds: 1 });
    console.log(`thumbnail job: ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
  });
  after(async () => {
    await env.close();
  });

  it('publishes a poster at the top rung\'s size, one 10x2 sheet of 160x90 tiles and a storyboard with one continuous cue per second', () => {
    assert.deepEqual(readdirSync(path.join(out, 'thumbnails')).sort(), ['sprite-0.jpg', 'thumbnails.vtt']);
    assert.deepEqual(sizeOf(path.join(out, 'poster.jpg')), [640, 360], 'the poster has the top rung\'s size');
    assert.deepEqual(sizeOf(path.join(out, 'thumbnails', 'sprite-0.jpg')), [1600, 180], '10 tiles across, 2 rows');

    const cues = readVtt(readFileSync(path.join(out, 'thumbnails', 'thumbnails.vtt'), 'utf8'));
    assert.equal(cues.length, Math.ceil(SECONDS / 1), 'one tile per started second');
    cues.forEach((c, k) => {
      assert.equal(c.start, k === 0 ? 0 : cues[k - 1].end, `cue ${k} starts where the one before ends`);
      assert.equal(c.start, k, `cue ${k} starts at its tile's slot`);
      assert.equal(c.file, 'sprite-0.jpg');
      assert.deepEqual([c.x, c.y, c.w, c.h], [(k % 10) * 160, Math.floor(k / 10) * 90, 160, 90], `cue ${k}'s rectangle`);
      assert.ok(c.x + c.w <= 1600 && c.y + c.h <= 180, `cue ${k} lies inside the sheet`);
    });
    assert.equal(cues[cues.length - 1].end, SECONDS, 'the last cue ends with the video');

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.stream.thumbnails, {
      poster: 'poster.jpg', posterWidth: 640, posterHeight: 360, posterSeconds: 1.2, storyboard: 'thumbnails/thumbnails.vtt', sheets: ['thumbnails/sprite-0.jpg'],
      tiles: 12, tileWidth: 160, tileHeight: 90, columns: 10, rows: 10, intervalSeconds: 1,
    });
    // Published with the segments: before any playlist, and manifest.json last.
    const mtime = (f: string): number => statSync(path.join(out, f)).mtimeMs;
    const images = ['poster.jpg', 'thumbnails/sprite-0.jpg', 'thumbnails/thumbnails.vtt'];
    const playlists = ['master.m3u8', '360p/index.m3u8', '180p/index.m3u8'];
    assert.ok(Math.max(...images.map(mtime)) <= Math.min(...playlists.map(mtime)), 'thumbnails come before the playlists');
    assert.ok(Math.max(...playlists.map(mtime)) <= mtime('manifest.json'));
    assert.equal(existsSync(path.join(out, 'thumbs')), false, 'the shards\' tiles stay in the work area');
  });

  it('shows in every tile the source frame of its grid slot, scaled as the rung and the tile scale it; one frame late would fail', () => {
    const cues = readVtt(readFileSync(path.join(out, 'thumbnails', 'thumbnails.vtt'), 'utf8'));
    const sheet = path.join(out, 'thumbnails', 'sprite-0.jpg');
    // The frames of the 640x360 rung on the job's grid, scaled to tiles the way the shard scales them.
    const rung = ['fps=25', 'scale=640:360:flags=bicubic', 'setsar=1', 'format=yuv420p'];
    const tiles = gridFrames(source, [...rung, 'scale=160:90:flags=bicubic'], path.join(env.dir, 'tile-grid.mkv'));
    // Tile 0 (the first frame), 4 and 8 (the first frame of shards 2 and 3), 11 (the last, in the last row).
    for (const k of [0, 4, 8, 11]) {
      const slot = k * FPS;
      const tile = crop(sheet, cues[k], path.join(env.dir, `tile-${k}.png`));
      const [own] = framePsnr(tile, tiles, 1, slot);
      const [late] = framePsnr(tile, tiles, 1, slot + 1);
      const [early] = framePsnr(tile, tiles, 1, slot - 1 >= 0 ? slot - 1 : slot + 2);
      console.log(`tile ${k} (slot ${slot}): ${own.toFixed(2)} dB against its own frame, ${late.toFixed(2)} dB one frame late, ${early.toFixed(2)} dB against another neighbour`);
      assert.ok(own > SAME_FRAME_DB, `tile ${k} is the frame of slot ${slot}: ${own.toFixed(2)} dB`);
      assert.ok(late < SAME_FRAME_DB && early < SAME_FRAME_DB, `tile ${k} is not a neighbouring frame: ${late.toFixed(2)} / ${early.toFixed(2)} dB`);
    }
    // The poster: 10 % into the video, slot 30, at the rung's size.
    const frames = gridFrames(source, rung, path.join(env.dir, 'rung-grid.mkv'));
    const [own] = framePsnr(path.join(out, 'poster.jpg'), frames, 1, 30);
    const [late] = framePsnr(path.join(out, 'poster.jpg'), frames, 1, 31);
    console.log(`poster (slot 30): ${own.toFixed(2)} dB against its own frame, ${late.toFixed(2)} dB one frame late`);
    assert.ok(own > SAME_FRAME_DB && late < SAME_FRAME_DB, `the poster is the frame of slot 30: ${own.toFixed(2)} dB, the next one ${late.toFixed(2)} dB`);
  });

  it('verify names a storyboard that misses a cue, leaves a gap or points outside its sheet', async () => {
    // The published thumbnails in a work area of their own, as verify reads them before publishing.
    const work = path.join(env.dir, 'verify-work');
    mkdirSync(path.join(work, 'stream', 'thumbnails'), { recursive: true });
    for (const f of ['poster.jpg', 'thumbnails/sprite-0.jpg']) copyFileSync(path.join(out, f), path.join(work, 'stream', f));
    const vtt = readFileSync(path.join(out, 'thumbnails', 'thumbnails.vtt'), 'utf8');
    const input = {
      workUrl: `file://${work}/`, formats: ['hls'], fps: '25/1', segmentFrames: 50, totalFrames: SECONDS * FPS,
      rungs: [{ name: '360p', rendition: rungRendition(360) }, { name: '180p', rendition: rungRendition(180) }],
      geometry: { width: 640, height: 360, rotation: 0 },
      thumbnails: thumbnailPlan(1, { num: 25, den: 1 }, SECONDS * FPS, '360p'),
    } as unknown as VerifyStreamInput;
    const problems = async (text: string): Promise<string[]> => {
      writeFileSync(path.join(work, 'stream', 'thumbnails', 'thumbnails.vtt'), text);
      return new MockActivityEnvironment().run(() => thumbnailProblems(new FileStore(work), input, env.dir));
    };
    assert.deepEqual(await problems(vtt), [], 'the published storyboard passes');
    const blocks = vtt.trimEnd().split('\n\n');
    const missing = await problems(`${blocks.slice(0, -1).join('\n\n')}\n`);
    assert.ok(missing.some((p) => p.includes('has 11 cues') && p.includes('make 12')), missing.join(' | '));
    assert.ok(missing.some((p) => p.includes('the last cue ends at 00:00:11.000, the video at 00:00:12.000')), missing.join(' | '));
    const edited = (from: string, to: string): string => {
      assert.ok(vtt.includes(from), `the storyboard holds ${from}`);
      return vtt.replace(from, to);
    };
    const gap = await problems(edited('00:00:03.000 --> 00:00:04.000', '00:00:03.040 --> 00:00:04.000'));
    assert.ok(gap.some((p) => p.includes('cue 3 starts at 00:00:03.040, the one before ends at 00:00:03.000')), gap.join(' | '));
    const outside = await problems(edited('sprite-0.jpg#xywh=1440,0,160,90', 'sprite-0.jpg#xywh=1500,0,160,90'));
    assert.ok(outside.some((p) => p.includes('reaches outside sprite-0.jpg (1600x180)')), outside.join(' | '));
  });

  it('makes no thumbnails with "thumbnailSeconds": 0', async () => {
    const clip = makeClip({ seconds: 2, fps: FPS, width: 320, height: 180 });
    const off = path.join(env.dir, 'off');
    await env.run({ source: `file://${clip}`, output: `file://${off}/`, package: 'hls', ladder: [180], streamSegmentSeconds: 2, thumbnailSeconds: 0 });
    assert.deepEqual(readdirSync(off).sort(), ['180p', 'audio', 'manifest.json', 'master.m3u8']);
    assert.equal(JSON.parse(readFileSync(path.join(off, 'manifest.json'), 'utf8')).stream.thumbnails, undefined);
  });
});
