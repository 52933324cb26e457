// HEVC and AV1 rungs (`ladderCodec: "h265"`, `"av1"`) on the real dev server
// and ffmpeg: every rung frame-exact (each frame names its source frame by its
// luma), a keyframe opening every segment, the sample entry players need (hvc1
// for Apple's), and the CODECS string the playlists carry, read from the init
// segment's hvcC or av1C.
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

interface ProbedStream {
  codec_name: string;
  codec_tag_string: string;
  level: number;
  has_b_frames: number;
}

describe('streaming output with HEVC and AV1 rungs', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  // Each codec's sample entry, and the codec string its playlists must carry, built from what ffprobe reads of the stream.
  const codecs = [
    { ladderCodec: 'h265', name: 'hevc', tag: 'hvc1', codecString: (s: ProbedStream) => `hvc1.1.6.L${s.level}.90` },
    { ladderCodec: 'av1', name: 'av1', tag: 'av01', codecString: (s: ProbedStream) => `av01.0.${String(s.level).padStart(2, '0')}M.08` },
  ] as const;

  for (const c of codecs) {
    it(`encodes every rung in ${c.name}, frame-exact, with a keyframe opening every segment and ${c.tag} codec strings`, async () => {
      // Keyframes every 40 frames: not on the 50-frame segment grid, so the encoders seek and pick by time.
      const source = counterClip(env.dir, `${c.name}-counter`, { frames: FRAMES, fps: FPS, gop: 40, size: 128, audioChannels: 1 });
      const out = path.join(env.dir, `${c.name}-stream`);
      const result = await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [128, 64], ladderCodec: c.ladderCodec, streamSegmentSeconds: 2, segmentSeconds: 4 });
      assert.equal(result.shards, 2, '6 s in 4 s shards of 2 s segments');

      const expected = Array.from({ length: FRAMES }, (_, n) => n % 55);
      for (const rung of ['128p', '64p']) {
        const joined = joinedTrack(path.join(out, rung), path.join(env.dir, `${c.name}-${rung}.mp4`));
        const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,codec_tag_string,profile,level,has_b_frames:packet=pts,flags', '-of', 'json', joined], { encoding: 'utf8' }));
        const stream: ProbedStream = probe.streams[0];
        assert.deepEqual([stream.codec_name, stream.codec_tag_string, stream.has_b_frames], [c.name, c.tag, 0], `${rung} stream`);
        assert.equal(probe.packets.length, FRAMES, `${rung} has the source's ${FRAMES} frames`);
        probe.packets.forEach((p: { flags: string }, i: number) => {
          if (i % (2 * FPS) === 0) assert.ok(p.flags.includes('K'), `${rung}: segment ${i / (2 * FPS)} opens with a keyframe`);
        });
        assert.deepEqual(frameLevels(joined).map(frameOf), expected, `${rung}: frame n shows source frame n`);

        const codecString = c.codecString(stream);
        const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
        assert.ok(master.includes(`CODECS="${codecString},mp4a.40.2"`), `${rung}: ${codecString} in the master playlist:\n${master}`);
        assert.match(readFileSync(path.join(out, 'manifest.mpd'), 'utf8'), new RegExp(`<Representation id="${rung}" bandwidth="\\d+" codecs="${codecString.replace(/\./g, '\\.')}"`));
      }
      const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
      assert.ok(manifest.renditions.every((r: { videoCodec: string }) => r.videoCodec === c.ladderCodec), 'manifest.json names the codec');
    });
  }

});
