// HEVC rungs (`ladderCodec: "h265"`) on the real dev server and ffmpeg: every
// rung frame-exact (each frame names its source frame by its luma), an IDR
// opening every segment, the hvc1 sample entry Apple players need, and the
// CODECS string the playlists carry read from the init segment's hvcC.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { counterClip, frameLevels, frameOf } from '../support/counterClip';
import { joinedTrack } from '../support/streamTrack';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const FPS = 25;
const FRAMES = 150;

describe('streaming output with HEVC rungs', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  it('encodes every rung in HEVC, frame-exact, with an IDR at every segment and hvc1 codec strings', async () => {
    // Keyframes every 40 frames: not on the 50-frame segment grid, so the encoders seek and pick by time.
    const source = counterClip(env.dir, 'hevc-counter', { frames: FRAMES, fps: FPS, gop: 40, size: 128, audioChannels: 1 });
    const out = path.join(env.dir, 'hevc-stream');
    const result = await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [128, 64], ladderCodec: 'h265', streamSegmentSeconds: 2, segmentSeconds: 4 });
    assert.equal(result.shards, 2, '6 s in 4 s shards of 2 s segments');

    const expected = Array.from({ length: FRAMES }, (_, n) => n % 55);
    for (const rung of ['128p', '64p']) {
      const joined = joinedTrack(path.join(out, rung), path.join(env.dir, `hevc-${rung}.mp4`));
      const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,codec_tag_string,profile,level,has_b_frames:packet=pts,flags', '-of', 'json', joined], { encoding: 'utf8' }));
      const stream = probe.streams[0];
      assert.deepEqual([stream.codec_name, stream.codec_tag_string, stream.has_b_frames], ['hevc', 'hvc1', 0], `${rung} stream`);
      assert.equal(probe.packets.length, FRAMES, `${rung} has the source's ${FRAMES} frames`);
      probe.packets.forEach((p: { flags: string }, i: number) => {
        if (i % (2 * FPS) === 0) assert.ok(p.flags.includes('K'), `${rung}: segment ${i / (2 * FPS)} opens with a keyframe`);
      });
      assert.deepEqual(frameLevels(joined).map(frameOf), expected, `${rung}: frame n shows source frame n`);

      // Main profile (1), compatibility flags reversed (6), the stream's level: what the playlists must carry.
      const codecs = `hvc1.1.6.L${stream.level}.90`;
      const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
      assert.ok(master.includes(`CODECS="${codecs},mp4a.40.2"`), `${rung}: ${codecs} in the master playlist:\n${master}`);
      assert.match(readFileSync(path.join(out, 'manifest.mpd'), 'utf8'), new RegExp(`<Representation id="${rung}" bandwidth="\\d+" codecs="${codecs.replace(/\./g, '\\.')}"`));
    }
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.ok(manifest.renditions.every((r: { videoCodec: string }) => r.videoCodec === 'h265'), 'manifest.json names the codec');
  });

});
