// The ladder commands (bench/ladderArgs.ts, src/media/sharedDecodeArgs.ts), run with real ffmpeg on a
// small clip: plain ffmpeg's one-command ladder must hold every frame in every
// rung at the rung's size with the audio as its own group, and one shard
// encoded for all rungs from one decode must give each rung exactly what the
// shard task's own command gives it, or the bench would compare unlike work.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeOnlyShardArgs, plainLadderArgs } from '../../bench/ladderArgs';
import { sharedDecodeShardArgs, type ShardFrames } from '../../src/media/sharedDecodeArgs';
import { rungRendition } from '../../src/core/job/streamPackage';
import { encodeShardArgs } from '../../src/media/ffmpegArgs';
import { makeClip } from '../support/clips';
import { audioOf, videoOf } from '../support/ffprobe';

const FPS = 25;
const SEGMENT = 50; // 2 s segments
const clip = makeClip({ seconds: 6, fps: FPS, width: 320, height: 240, gop: FPS });
const geometry = { width: 320, height: 240, rotation: 0 };
const rungs = [240, 120].map((h) => rungRendition(h));
const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-ladder-args-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (args: string[]): void => {
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args]);
};

/** pts of every keyframe of a rung, through its playlist. */
function keyframes(playlist: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,flags', '-of', 'csv=p=0', playlist], { encoding: 'utf8' });
  return out.trim().split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0]));
}

describe('plain ffmpeg one-command ladder', () => {
  it('writes every rung with all frames at its size, keyframes on the segment grid, and one audio group', () => {
    const out = path.join(dir, 'plain');
    ffmpeg(plainLadderArgs({ source: clip, outDir: out, rungs, geometry, fps: { num: FPS, den: 1 }, segmentFrames: SEGMENT, audioBitrate: '128k' }));
    for (const [r, size] of [[rungs[0], [320, 240]], [rungs[1], [160, 120]]] as const) {
      const v = videoOf(path.join(out, r.name, 'index.m3u8'));
      assert.equal(v.frames, 6 * FPS, `${r.name} frames`);
      assert.deepEqual([v.width, v.height], size, `${r.name} size`);
      const keys = keyframes(path.join(out, r.name, 'index.m3u8'));
      assert.equal(keys.length, 3, `${r.name}: one keyframe per segment, got ${keys.join(', ')}`);
    }
    assert.ok(audioOf(path.join(out, 'audio', 'index.m3u8')), 'the audio group has its own playlist');
    const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_aud"/);
    assert.equal(master.match(/AUDIO="group_aud"/g)?.length, 3, 'both rungs (and ffmpeg\'s audio-only variant) name the group');
  });
});

describe('one shard for every rung from one decode', () => {
  it('gives each rung the same segments as one shard task per rung, and the decode alone lists the shard\'s frames', () => {
    const start = SEGMENT; // the last two of the clip's three segments
    const shard: ShardFrames = {
      input: clip, seekSeconds: start / FPS + 0.001, videoStream: 0, timeBase: '1/12800', originPts: 0, fps: `${FPS}/1`,
      startSlot: start, endSlot: start + 2 * SEGMENT, check: { fromPts: start * 512, toPts: (start + 2 * SEGMENT) * 512, file: '' }, geometry, threads: 1,
    };
    assert.equal(videoOf(clip).frames, 6 * FPS);
    const tb = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=time_base', '-of', 'csv=p=0', clip], { encoding: 'utf8' }).trim();
    assert.equal(tb, shard.timeBase, 'the clip\'s timebase, which the pts above are in');
    const outs = rungs.map((rendition) => ({ rendition, output: path.join(dir, 'shared', rendition.name) }));
    for (const o of outs) mkdirSync(o.output, { recursive: true });
    ffmpeg(sharedDecodeShardArgs({ ...shard, check: { ...shard.check, file: path.join(dir, 'shared.framecrc') } }, outs, SEGMENT));
    for (const rendition of rungs) {
      const own = path.join(dir, 'own', rendition.name);
      mkdirSync(own, { recursive: true });
      const segments = { segmentFrames: SEGMENT, firstNumber: start / SEGMENT };
      ffmpeg(encodeShardArgs({ ...shard, check: { ...shard.check, file: path.join(own, 'decoded.framecrc') }, rendition, output: own, segments }));
      const shared = path.join(dir, 'shared', rendition.name);
      const files = readdirSync(own).filter((f) => f.endsWith('.m4s') || f === 'init.mp4').sort();
      assert.deepEqual(files, ['init.mp4', 'seg-00001.m4s', 'seg-00002.m4s'], `${rendition.name}: the shard's two segments`);
      assert.deepEqual(readdirSync(shared).filter((f) => files.includes(f)).sort(), files);
      for (const f of files) assert.ok(readFileSync(path.join(own, f)).equals(readFileSync(path.join(shared, f))), `${rendition.name}/${f} is byte for byte the shard task's`);
      assert.equal(videoOf(path.join(shared, 'muxer.m3u8')).frames, 2 * SEGMENT);
    }
    // The list names the decoded source frames of the shard by pts, the same in both ways (a wrapped frame's
    // checksum is of its wrapper, so it differs from run to run).
    const listed = (file: string): string[] =>
      readFileSync(file, 'utf8').split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(',').slice(0, 3).join(','));
    const shardList = listed(path.join(dir, 'shared.framecrc'));
    assert.equal(shardList.length, 2 * SEGMENT);
    assert.deepEqual(shardList, listed(path.join(dir, 'own', rungs[0].name, 'decoded.framecrc')));
    // The decode alone passes the shard's frames through and encodes nothing.
    const decoded = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-stats', ...decodeOnlyShardArgs(shard)], { encoding: 'utf8' });
    assert.equal(decoded.status, 0, decoded.stderr);
    assert.match(decoded.stderr, new RegExp(`frame=\\s*${2 * SEGMENT} `));
  });
});
