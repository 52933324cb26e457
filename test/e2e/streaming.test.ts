// Streaming output (HLS + DASH) on a generated clip through the real dev
// server and ffmpeg: every shard writes its own CMAF segments, no merge pass.
// The published package is read back with ffprobe (frames per rung, a keyframe
// opening every segment, timestamps continuous across shards, playlist
// attributes).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { joinedTrack } from '../support/streamTrack';
import { makeClip } from '../support/clips';
import { innermostApplicationFailure } from '../support/failures';
import { launchChromium, needsChromium } from '../support/chromium';
import { videoOf } from '../support/ffprobe';
import { expectedRate, singlePassEncode, sourceFacts } from '../support/mediaFacts';
import { needsSharedClips, sharedClip } from '../support/sharedMedia';

const browser = needsChromium();
const FPS = 25;
const SECONDS = 20;

/** What the preview page reports in window.preview. */
interface PageState {
  errors: string[];
  heights: number[];
  ended: boolean;
  ready: boolean;
  endTime?: number;
  duration?: number;
  played?: [number, number][];
  rungs: { name: string; width: number; height: number }[];
  storyboard?: { poster: string; tiles: number; sheets: number; sheetsLoaded: number };
}

interface Packet {
  pts_time: string;
  flags: string;
}

/** Video packets of a rung as a player appends them: the init segment, then every media segment in order. */
function rungPackets(dir: string, rung: string, scratch: string): { packets: Packet[]; width: number; height: number } {
  const joined = joinedTrack(path.join(dir, rung), path.join(scratch, `${rung}-joined.mp4`));
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
  let packaged: Promise<{ out: string; result: TranscodeResult }> | undefined;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  /** The one job both tests look at: a 20 s clip (GOPs that do not fit the segments), 3 rungs, 2 s segments, 4 s shards. */
  const job = (): Promise<{ out: string; result: TranscodeResult }> =>
    (packaged ??= (async () => {
      const source = makeClip({ seconds: SECONDS, fps: FPS, gop: 48, width: 640, height: 360 });
      const out = path.join(env.dir, 'stream');
      const started = Date.now();
      const result = await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [1080, 360, 240, 180], streamSegmentSeconds: 2, segmentSeconds: 4 });
      console.log(`streaming job: ${((Date.now() - started) / 1000).toFixed(1)} s wall, ${result.shards} shards`);
      return { out, result };
    })());

  it('packages a 20 s clip into 3 rungs with 2 s segments, frame-exact per rung, playlists last', async () => {
    const fps = FPS;
    const { out, result } = await job();

    // 1080 is above the 360-line source: dropped. 4 s shards of 2 s segments: 5 shards.
    assert.equal(result.shards, 5);
    assert.deepEqual(readdirSync(out).sort(), ['180p', '240p', '360p', 'audio', 'manifest.json', 'manifest.mpd', 'master.m3u8', 'poster.jpg', 'thumbnails']);
    const total = SECONDS * fps;
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
    // The generated clip's audio is mono, and stays mono.
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio".*CHANNELS="1",URI="audio\/index.m3u8"/);

    // ffprobe's own HLS demuxer reads the master playlist: every rung and the audio.
    const probed = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,height', '-of', 'json', path.join(out, 'master.m3u8')], { encoding: 'utf8' }));
    assert.deepEqual(probed.streams.filter((s: { codec_type: string }) => s.codec_type === 'video').map((s: { height: number }) => s.height).sort(), [180, 240, 360]);
    assert.ok(probed.streams.some((s: { codec_type: string }) => s.codec_type === 'audio'));

    const mpd = readFileSync(path.join(out, 'manifest.mpd'), 'utf8');
    assert.match(mpd, /mediaPresentationDuration="PT20\.000S"/);
    for (const [rung, [w, h]] of Object.entries(sizes)) {
      assert.match(mpd, new RegExp(`<Representation id="${rung}" bandwidth="\\d+" codecs="avc1\\.[0-9a-f]{6}" width="${w}" height="${h}"`));
    }
    assert.match(mpd, /<Representation id="audio" bandwidth="\d+" codecs="mp4a\.40\.2" audioSamplingRate="48000">\s*<AudioChannelConfiguration [^>]*value="1"\/>/);

    // Published in order: every segment, then the playlists, then manifest.json.
    const mtime = (f: string): number => statSync(path.join(out, f)).mtimeMs;
    const segmentFiles = [...Object.keys(sizes), 'audio'].flatMap((d) => readdirSync(path.join(out, d)).filter((f) => f.endsWith('.m4s') || f === 'init.mp4').map((f) => `${d}/${f}`));
    const playlists = ['master.m3u8', 'manifest.mpd', ...[...Object.keys(sizes), 'audio'].map((d) => `${d}/index.m3u8`)];
    assert.ok(Math.max(...segmentFiles.map(mtime)) <= Math.min(...playlists.map(mtime)), 'no playlist was written before a segment');
    assert.ok(Math.max(...playlists.map(mtime)) <= mtime('manifest.json'), 'manifest.json comes last');

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.stream.formats, ['hls', 'dash']);
    assert.equal(manifest.stream.segmentFrames, segmentFrames);
    assert.equal(result.stream?.hls, `file://${out}/master.m3u8`);
  });

  it('places the audio on the video timeline: a source whose audio starts 0.5 s late stays in sync, and priming is accounted for', async () => {
    // Video from 0; audio from 0.5 s, silent for its first second: the tone starts 1.5 s into the video.
    const clip = path.join(env.dir, 'late-audio.mp4');
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6', '-itsoffset', '0.5', '-f', 'lavfi',
      '-i', 'aevalsrc=if(gte(t\\,1)\\,sin(2*PI*440*t)\\,0):s=48000:d=5.5', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
    ]);
    const out = path.join(env.dir, 'late');
    await env.run({ source: `file://${clip}`, output: `file://${out}/`, package: 'hls', ladder: [180], streamSegmentSeconds: 2 });
    const joined = joinedTrack(path.join(out, 'audio'), path.join(env.dir, 'late-audio-joined.mp4'));
    // Decoded as a player appends the segments: the encoder's priming samples first, then the audio.
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', joined, '-f', 's16le', '-ac', '1', '-ar', '48000', '-'], { maxBuffer: 64 * 1024 * 1024 });
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    const onset = samples.findIndex((v) => Math.abs(v) > 3000) / 48000;
    assert.ok(Math.abs(onset - 1.5) < 0.003, `the tone starts ${onset.toFixed(4)} s into the stream, the source has it at 1.5 s`);
    assert.ok(Math.abs(samples.length / 48000 - 6) < 0.03, `the audio lasts ${(samples.length / 48000).toFixed(3)} s, as the video`);
  });

  const CLIPS = ['bbb_h264_aac_480x360_10s.mp4', 'phone_h264_4k60_rot90_vfr.mp4', 'bear_vp9_noaudio.webm', 'video_longer_than_audio.mp4'];
  it('streams the shared real-world clips with a plain single pass\'s frame count in every rung, upright', { ...needsSharedClips(...CLIPS), timeout: 600_000 }, async () => {
    for (const clip of CLIPS) {
      const source = sharedClip(clip);
      const facts = sourceFacts(source);
      const single = path.join(env.dir, `${clip}-single.mp4`);
      singlePassEncode(source, single, ['setpts=PTS-STARTPTS', `fps=${expectedRate(facts)}`, 'scale=-2:240']);
      const expected = videoOf(single).frames!;
      const out = path.join(env.dir, 'shared', clip);
      await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [360, 240], streamSegmentSeconds: 2, segmentSeconds: 2 });
      const rungs = readdirSync(out).filter((d) => /^\d+p$/.test(d));
      assert.ok(rungs.length >= 1, `${clip}: rungs ${rungs.join(', ')}`);
      for (const rung of rungs) {
        const { packets, width, height } = rungPackets(out, rung, env.dir);
        assert.equal(packets.length, expected, `${clip} ${rung}: frames, as a single pass at ${expectedRate(facts)} fps`);
        const turned = Math.abs(facts.video!.rotation) === 90;
        assert.equal(width < height, turned, `${clip} ${rung} is upright (${width}x${height})`);
      }
      assert.equal(existsSync(path.join(out, 'audio')), facts.audio !== undefined, `${clip}: an audio group exactly when the source has audio`);
      // Poster and tiles are upright too: the top rung's frames, scaled keeping their aspect.
      const thumbs = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).stream.thumbnails;
      const poster = videoOf(path.join(out, 'poster.jpg'));
      const turned = Math.abs(facts.video!.rotation) === 90;
      assert.equal(poster.width! < poster.height!, turned, `${clip}: the poster is upright (${poster.width}x${poster.height})`);
      assert.equal(thumbs.tileWidth < thumbs.tileHeight, turned, `${clip}: tiles are upright (${thumbs.tileWidth}x${thumbs.tileHeight})`);
      console.log(`${clip}: rungs ${rungs.join(', ')}, ${expected} frames each`);
    }
  });

  it('fails an audio-only source at once, non-retryably, naming the source and why', async () => {
    const audioOnly = path.join(env.dir, 'tone.m4a');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', audioOnly]);
    const started = Date.now();
    const err = await env.run({ source: `file://${audioOnly}`, output: `file://${env.dir}/none/`, package: 'hls' }).then(
      () => assert.fail('an audio-only source cannot be streamed as video rungs'),
      (e: unknown) => e,
    );
    const cause = innermostApplicationFailure(err);
    assert.equal(cause?.type, 'InvalidJob');
    assert.equal(cause?.nonRetryable, true);
    assert.ok(cause!.message.includes(`streaming output ("package") needs a video stream; file://${audioOnly} has none`), cause!.message);
    assert.ok(Date.now() - started < 30_000, 'it fails without retries');
    assert.equal(existsSync(path.join(env.dir, 'none', 'master.m3u8')), false);
  });

  it('plays in chromium with hls.js and dash.js start to end, every rung forced once, without media errors', { ...browser, timeout: 420_000 }, async () => {
    const { out } = await job();
    // The page a person gets from `shardflow preview <output>`, run as they run it.
    const server = await previewCli(out);
    let chrome: Browser | undefined;
    try {
      chrome = await launchChromium();
      const context = await chrome.newContext({ viewport: { width: 1100, height: 900 } });
      // Only the preview server: no CDN, no other origin.
      const origin = new URL(server.url).origin;
      await context.route((url) => url.origin !== origin, (route) => route.abort());
      for (const format of ['hls', 'dash'] as const) {
        // A player that stops moving on a starved CPU gets one more try in a fresh page; errors and wrong durations get none.
        for (let attempt = 1; ; attempt++) {
          const page = await context.newPage();
          try {
            await playThrough(page, server.url, format);
            break;
          } catch (err) {
            if (!(err instanceof PlaybackStalled) || attempt === 2) throw err;
            console.log(`${format}: ${err.message}; playing once more in a fresh page`);
          } finally {
            await page.close();
          }
        }
      }
    } finally {
      await chrome?.close();
      await server.stop();
    }
  });
});

/** `shardflow preview <folder>` in a child process, on a free port; `stop` sends it Ctrl-C and waits for it to exit. */
async function previewCli(folder: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/shardflow.js'), 'preview', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /: (http:\/\/127\.0\.0\.1:\d+\/) \(HLS\)/.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`shardflow preview exited with ${code}: ${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** Plays the preview page's stream start to end at double speed, forcing every rung once, and checks what the page saw. */
async function playThrough(page: Page, url: string, format: 'hls' | 'dash'): Promise<void> {
  await page.goto(`${url}?format=${format}`);
  // Page code goes in as strings: this project compiles without the DOM's types.
  await page.waitForFunction('window.preview !== undefined && window.preview.ready === true', null, { timeout: 30_000 });
  await page.evaluate("(() => { const v = document.getElementById('video'); v.playbackRate = 2; return v.play(); })()");
  const rungs = (await state(page)).rungs;
  assert.equal(rungs.length, 3);
  // The poster on the video, and the storyboard's ten tiles (one every 2 s) cut from their loaded sheet.
  await page.waitForFunction('window.preview.storyboard !== undefined && window.preview.storyboard.sheetsLoaded === 1', null, { timeout: 10_000 });
  const board = (await state(page)).storyboard!;
  assert.ok(board.poster.endsWith('/stream/poster.jpg') && board.tiles === 10, `${format}: storyboard ${JSON.stringify(board)}`);
  assert.equal(await page.evaluate("document.querySelectorAll('#storyboard div').length"), 10);
  for (let i = 0; i < rungs.length; i++) {
    await page.evaluate(`window.previewChoose(${i})`);
    await waitOrExplain(page, `document.getElementById('video').videoHeight === ${rungs[i].height}`, 20_000, `${format}: rung ${rungs[i].name} shown`);
  }
  await page.evaluate('window.previewChoose(-1)');
  await waitForEnd(page, format);
  const shown = await state(page);
  const shot = path.join(mkdtempSync(path.join(os.tmpdir(), 'shardflow-streaming-')), `preview-${format}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`${format}: played ${JSON.stringify(shown.played)}, ended at ${shown.endTime} s of ${shown.duration} s, heights ${shown.heights.join(' → ')}; screenshot ${shot}`);
  assert.deepEqual(shown.errors, [], `${format}: media errors`);
  for (const r of rungs) assert.ok(shown.heights.includes(r.height), `${format}: rung ${r.name} was shown`);
  const frame = 1 / FPS;
  assert.ok(Math.abs(shown.duration! - SECONDS) <= frame, `${format}: the player's duration ${shown.duration} s is within one frame of ${SECONDS} s`);
  assert.ok(Math.abs(shown.endTime! - SECONDS) <= frame, `${format}: playback ended at ${shown.endTime} s, within one frame of ${SECONDS} s`);
  const played = shown.played!.reduce((sum, [a, b]) => sum + (b - a), 0);
  assert.ok(Math.abs(played - SECONDS) <= frame, `${format}: ${played} s played, within one frame of ${SECONDS} s`);
}

class PlaybackStalled extends Error {}

/** Waits for the video's end; a video whose position stays put for 30 s has stalled. */
async function waitForEnd(page: Page, format: string): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const { ended, at } = (await page.evaluate("({ ended: window.preview.ended === true, at: document.getElementById('video').currentTime })")) as { ended: boolean; at: number };
    if (ended) return;
    if (at !== last) [last, movedAt] = [at, Date.now()];
    if (Date.now() - movedAt > 30_000) return waitOrExplain(page, 'window.preview.ended === true', 1, `${format}: playback ended (the position stayed at ${at} s for 30 s)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for `condition` on the page; on timeout the error says where the video element stood. */
async function waitOrExplain(page: Page, condition: string, timeout: number, what: string): Promise<void> {
  try {
    await page.waitForFunction(condition, null, { timeout });
  } catch (err) {
    const where = await page.evaluate(`(() => {
      const v = document.getElementById('video');
      const ranges = (r) => Array.from({ length: r.length }, (_, i) => [r.start(i), r.end(i)]);
      return { currentTime: v.currentTime, duration: v.duration, paused: v.paused, ended: v.ended, readyState: v.readyState,
        networkState: v.networkState, videoHeight: v.videoHeight, buffered: ranges(v.buffered), heights: window.preview.heights,
        errors: window.preview.errors, rung: window.preview.rung };
    })()`);
    throw new PlaybackStalled(`${what}: not within ${timeout / 1000} s; the video element: ${JSON.stringify(where)} (${(err as Error).message})`);
  }
}

async function state(page: Page): Promise<PageState> {
  return (await page.evaluate('({ ...window.preview, player: undefined })')) as PageState;
}
