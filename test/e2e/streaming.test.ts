// Streaming output (HLS + DASH) on a generated clip through the real dev
// server and ffmpeg: every shard writes its own CMAF segments, no merge pass.
// The published package is read back with ffprobe (frames per rung, a keyframe
// opening every segment, timestamps continuous across shards, playlist
// attributes).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { makeClip } from '../support/clips';

interface Packet {
  pts_time: string;
  flags: string;
}

/** Video packets of a rung as a player appends them: the init segment, then every media segment in order. */
function rungPackets(dir: string, rung: string, scratch: string): { packets: Packet[]; width: number; height: number } {
  const segments = readdirSync(path.join(dir, rung)).filter((f) => f.endsWith('.m4s')).sort();
  const joined = path.join(scratch, `${rung}-joined.mp4`);
  const bytes = [readFileSync(path.join(dir, rung, 'init.mp4')), ...segments.map((s) => readFileSync(path.join(dir, rung, s)))];
  writeFileSync(joined, Buffer.concat(bytes));
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags:stream=width,height', '-of', 'json', joined], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const json = JSON.parse(out);
  return { packets: json.packets, width: json.streams[0].width, height: json.streams[0].height };
}

/** Attributes of every EXT-X-STREAM-INF line of a master playlist, with the URI after it. */
function streamInfs(master: string): { attrs: Record<string, string>; uri: string }[] {
  const lines = master.split('\n');
  const out: { attrs: Record<string, string>; uri: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const attrs: Record<string, string> = {};
    for (const m of line.slice(18).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) attrs[m[1]] = m[2].replace(/^"|"$/g, '');
    out.push({ attrs, uri: lines[i + 1] });
  });
  return out;
}

describe('streaming output: HLS + DASH straight from the shards', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  it('packages a 20 s clip into 3 rungs with 2 s segments, frame-exact per rung, playlists last', async () => {
    const fps = 25;
    const source = makeClip({ seconds: 20, fps, gop: 48, width: 640, height: 360 });
    const out = path.join(env.dir, 'stream');
    const started = Date.now();
    const result = await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [1080, 360, 240, 180], streamSegmentSeconds: 2, segmentSeconds: 4 });
    const seconds = (Date.now() - started) / 1000;
    console.log(`streaming job: ${seconds.toFixed(1)} s wall, ${result.shards} shards`);

    // 1080 is above the 360-line source: dropped. 4 s shards of 2 s segments: 5 shards.
    assert.equal(result.shards, 5);
    assert.deepEqual(readdirSync(out).sort(), ['180p', '240p', '360p', 'audio', 'manifest.json', 'manifest.mpd', 'master.m3u8']);
    const total = 20 * fps;
    const segmentFrames = 2 * fps;
    const sizes: Record<string, [number, number]> = { '360p': [640, 360], '240p': [426, 240], '180p': [320, 180] };
    for (const [rung, [w, h]] of Object.entries(sizes)) {
      const { packets, width, height } = rungPackets(out, rung, env.dir);
      assert.deepEqual([width, height], [w, h], `${rung} size`);
      assert.equal(packets.length, total, `${rung} has the source's ${total} frames`);
      packets.forEach((p, i) => {
        assert.ok(Math.abs(Number(p.pts_time) - i / fps) < 0.25 / fps, `${rung} frame ${i} at ${p.pts_time}`);
        if (i % segmentFrames === 0) assert.ok(p.flags.includes('K'), `${rung} segment ${i / segmentFrames} starts with a keyframe`);
      });
      assert.equal(readdirSync(path.join(out, rung)).filter((f) => f.endsWith('.m4s')).length, total / segmentFrames);
    }

    const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
    const infs = streamInfs(master);
    assert.deepEqual(infs.map((s) => s.uri), ['360p/index.m3u8', '240p/index.m3u8', '180p/index.m3u8']);
    for (const s of infs) {
      const rung = s.uri.split('/')[0];
      assert.equal(s.attrs.RESOLUTION, sizes[rung].join('x'));
      assert.equal(s.attrs['FRAME-RATE'], '25.000');
      assert.match(s.attrs.CODECS, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      assert.ok(Number(s.attrs.BANDWIDTH) >= Number(s.attrs['AVERAGE-BANDWIDTH']) && Number(s.attrs['AVERAGE-BANDWIDTH']) > 0, `${rung} bandwidths`);
      assert.equal(s.attrs.AUDIO, 'audio');
    }
    assert.ok(Number(infs[0].attrs.BANDWIDTH) > Number(infs[2].attrs.BANDWIDTH), 'the top rung needs more bits than the bottom one');
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio".*URI="audio\/index.m3u8"/);

    // ffprobe's own HLS demuxer reads the master playlist: every rung and the audio.
    const probed = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,height', '-of', 'json', path.join(out, 'master.m3u8')], { encoding: 'utf8' }));
    assert.deepEqual(probed.streams.filter((s: { codec_type: string }) => s.codec_type === 'video').map((s: { height: number }) => s.height).sort(), [180, 240, 360]);
    assert.ok(probed.streams.some((s: { codec_type: string }) => s.codec_type === 'audio'));

    const mpd = readFileSync(path.join(out, 'manifest.mpd'), 'utf8');
    assert.match(mpd, /mediaPresentationDuration="PT20\.000S"/);
    for (const [rung, [w, h]] of Object.entries(sizes)) {
      assert.match(mpd, new RegExp(`<Representation id="${rung}" bandwidth="\\d+" codecs="avc1\\.[0-9a-f]{6}" width="${w}" height="${h}"`));
    }
    assert.match(mpd, /<Representation id="audio" bandwidth="\d+" codecs="mp4a\.40\.2" audioSamplingRate="48000">/);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.stream.formats, ['hls', 'dash']);
    assert.equal(manifest.stream.segmentFrames, segmentFrames);
    assert.equal(result.stream?.hls, `file://${out}/master.m3u8`);
  });
});
