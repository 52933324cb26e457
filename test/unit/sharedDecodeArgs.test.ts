// A streaming shard task encodes every rung from one decode
// (src/media/sharedDecodeArgs.ts). With a watermark (image and text), the
// thumbnail tap on the top rung and an HEVC rung beside H.264 ones, each rung's
// segments and thumbnails must be what a shard task of that rung alone writes:
// byte for byte where the rung is scaled from a source-sized picture, frame for
// frame where it is scaled down from the rung above (rungScales).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { rungRendition } from '../../src/core/job/streamPackage';
import { encodeShardArgs, type WatermarkFiles } from '../../src/media/ffmpegArgs';
import { sharedDecodeShardArgs, type ShardFrames } from '../../src/media/sharedDecodeArgs';
import type { ShardThumbnails } from '../../src/media/thumbnailArgs';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { rescaledFrameProblems } from '../support/frameCompare';

const FPS = 25;
const SEGMENT = 25; // 1 s segments
const clip = makeClip({ seconds: 4, fps: FPS, width: 320, height: 240, gop: FPS });
const geometry = { width: 320, height: 240, rotation: 0 };
const rungs = [rungRendition(240), rungRendition(180, 'h265'), rungRendition(120)];
const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-shared-decode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (args: string[]): void => {
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args]);
};

function thumbnailsIn(folder: string): ShardThumbnails {
  const tileDir = path.join(folder, 'tiles');
  mkdirSync(tileDir, { recursive: true });
  return { startSlot: SEGMENT, endSlot: 3 * SEGMENT, tileFrames: 10, tile: { width: 80, height: 60 }, tileDir, poster: { slot: 40, size: { width: 160, height: 120 }, file: path.join(folder, 'poster.jpg') } };
}

/** The files of a folder and its tiles folder, with their bytes. */
function filesOf(folder: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(folder)) if (/\.(m4s|mp4|jpg)$/.test(f)) out.set(f, readFileSync(path.join(folder, f)));
  const tiles = path.join(folder, 'tiles');
  const tileFiles = readdirSync(folder).includes('tiles') ? readdirSync(tiles) : [];
  for (const f of tileFiles) out.set(`tiles/${f}`, readFileSync(path.join(tiles, f)));
  return out;
}

describe('one decode for every rung of a shard', () => {
  it('writes each rung (watermarked, an HEVC rung among H.264, the top rung with thumbnails) as its own shard task does, the rescaled rung frame for frame', () => {
    const imageFile = path.join(dir, 'logo.png');
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=24x24', '-frames:v', '1', '-update', '1', imageFile]);
    const textFile = path.join(dir, 'mark.txt');
    writeFileSync(textFile, 'shardflow');
    const watermark: WatermarkFiles = { imageFile, textFile, position: 'top-right' };
    const shard: ShardFrames = {
      input: clip, seekSeconds: SEGMENT / FPS + 0.001, videoStream: 0, timeBase: '1/12800', originPts: 0, fps: `${FPS}/1`,
      startSlot: SEGMENT, endSlot: 3 * SEGMENT, check: { fromPts: SEGMENT * 512, toPts: 3 * SEGMENT * 512, file: path.join(dir, 'shared.framecrc') }, geometry, threads: 1, watermark,
    };
    const outs = rungs.map((rendition, i) => {
      const output = path.join(dir, 'shared', rendition.name);
      mkdirSync(output, { recursive: true });
      return { rendition, output, thumbnails: i === 0 ? thumbnailsIn(output) : undefined };
    });
    ffmpeg(sharedDecodeShardArgs(shard, outs, SEGMENT));
    for (const [i, rendition] of rungs.entries()) {
      const own = path.join(dir, 'own', rendition.name);
      mkdirSync(own, { recursive: true });
      const thumbnails = i === 0 ? thumbnailsIn(own) : undefined;
      const segments = { segmentFrames: SEGMENT, firstNumber: 1 };
      ffmpeg(encodeShardArgs({ ...shard, check: { ...shard.check, file: path.join(own, 'decoded.framecrc') }, rendition, output: own, segments, thumbnails }));
      const mine = filesOf(own);
      const shared = filesOf(outs[i].output);
      assert.deepEqual([...shared.keys()].sort(), [...mine.keys()].sort(), `${rendition.name}: the same files`);
      assert.ok(mine.has('seg-00002.m4s') && mine.has('init.mp4'), `${rendition.name}: the shard's two segments and the init segment`);
      if (i === 0) assert.equal([...mine.keys()].filter((k) => k.startsWith('tiles/')).length, 5, 'tiles every 10 slots in slots 25-74');
      if (i === 0) assert.ok(mine.has('poster.jpg'), 'the poster, its slot is in the shard');
      // A rung scaled from the source's own size gets the same pictures as its own task: the same bytes. The
      // 120-line rung is scaled from the 180-line one (rungScales), so its pictures differ by that rescale only.
      const fromSourceSize = i < 2;
      for (const [name, bytes] of mine) {
        if (fromSourceSize || name.startsWith('tiles/') || name === 'poster.jpg') assert.ok(bytes.equals(shared.get(name)!), `${rendition.name}/${name} is byte for byte the shard task's`);
      }
      if (!fromSourceSize) {
        assert.deepEqual(rescaledFrameProblems(path.join(outs[i].output, 'muxer.m3u8'), path.join(own, 'muxer.m3u8'), 2 * SEGMENT), [], `${rendition.name} frame for frame`);
      }
      const v = videoOf(path.join(outs[i].output, 'muxer.m3u8'));
      assert.equal(v.frames, 2 * SEGMENT, `${rendition.name} frames`);
      assert.equal(v.codec, rendition.video.codec === 'h265' ? 'hevc' : 'h264');
    }
  });
});
