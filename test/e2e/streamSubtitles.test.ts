// Subtitles in streaming output, through the real dev server and ffmpeg: a
// source's text subtitle tracks become WebVTT renditions named by the HLS
// master playlist and the DASH MPD, on the video's timeline; bitmap tracks are
// listed as skipped. Every published cue's text and time is checked against
// the source's, and chromium plays the HLS with the tracks listed by hls.js.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser } from 'playwright-core';
import { runWithActivityContext } from '../../src/activities/activityContext';
import { subtitleProblems } from '../../src/activities/verifySubtitles';
import type { SubtitleRendition, VerifyStreamInput } from '../../src/core/contracts';
import { startPreviewServer } from '../../src/preview/previewServer';
import { Stores } from '../../src/storage/stores';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { pgsSubtitle } from '../support/pgsSubtitle';
import { launchChromium, needsChromium } from '../support/chromium';

const browser = needsChromium();

/** A cue as the test writes it into a source, in source seconds. */
interface SourceCue {
  start: number;
  end: number;
  text: string;
}

/** A cue read from a published WebVTT file, in seconds. */
interface PublishedCue {
  start: number;
  end: number;
  text: string;
}

const ENGLISH: SourceCue[] = [
  { start: 0.1, end: 0.4, text: 'Before the video' },
  { start: 0.3, end: 1.0, text: 'Straddles the start' },
  { start: 1.25, end: 2.5, text: 'Hello <i>world</i>' },
  { start: 3.0, end: 3.75, text: 'Line one\nLine two' },
  { start: 4.2, end: 5.0, text: 'Straddles the end' },
  { start: 5.5, end: 6.0, text: 'After the end' },
];

/** The MP4's cues: its video runs from 0 to 4 s. */
const MP4_CUES: SourceCue[] = [
  { start: 1.25, end: 2.5, text: 'Hello <i>world</i>' },
  { start: 3.0, end: 3.75, text: 'Line one\nLine two' },
  { start: 3.8, end: 4.6, text: 'Straddles the end' },
  { start: 5.5, end: 6.0, text: 'After the end' },
];

/** ASS events: override tags become WebVTT markup, \N a line break. */
const FRENCH: { start: number; end: number; ass: string; text: string }[] = [
  { start: 0.6, end: 1.4, ass: '{\\i1}Bonjour{\\i0} tout le monde', text: '<i>Bonjour</i> tout le monde' },
  { start: 2.0, end: 2.8, ass: 'Première ligne\\NDeuxième ligne', text: 'Première ligne\nDeuxième ligne' },
  { start: 3.9, end: 4.4, ass: 'Au revoir', text: 'Au revoir' },
];

function srtTime(s: number): string {
  const ms = Math.round(s * 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

function srt(cues: SourceCue[]): string {
  return cues.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.end)}\n${c.text}\n`).join('\n');
}

function assTime(s: number): string {
  const cs = Math.round(s * 100);
  return `${Math.floor(cs / 360_000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
}

function ass(): string {
  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    'PlayResX: 384',
    'PlayResY: 288',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    'Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0',
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...FRENCH.map((c) => `Dialogue: 0,${assTime(c.start)},${assTime(c.end)},Default,,0,0,0,,${c.ass}`),
    '',
  ].join('\n');
}

/** The cues of a published WebVTT file, read with a parser of the test's own. */
function publishedCues(file: string): PublishedCue[] {
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^WEBVTT\n/, `${file} starts with WEBVTT`);
  const seconds = (t: string): number => {
    const [h, m, s] = t.split(':').map(Number);
    return h * 3600 + m * 60 + s;
  };
  return text
    .split(/\n\n+/)
    .map((block) => block.split('\n'))
    .filter((lines) => lines.some((l) => l.includes('-->')))
    .map((lines) => {
      const i = lines.findIndex((l) => l.includes('-->'));
      const m = /^(\d+:\d\d:\d\d\.\d{3}) --> (\d+:\d\d:\d\d\.\d{3})/.exec(lines[i]);
      assert.ok(m, `timing line "${lines[i]}"`);
      return { start: seconds(m[1]), end: seconds(m[2]), text: lines.slice(i + 1).join('\n').trim() };
    });
}

/** The source cues as a package with video from `offset` for `seconds` must carry them. */
function onTimeline(cues: { start: number; end: number; text: string }[], offset: number, seconds: number): PublishedCue[] {
  return cues
    .map((c) => ({ start: c.start - offset, end: c.end - offset, text: c.text }))
    .filter((c) => c.end > 0 && c.start < seconds)
    .map((c) => ({ start: Math.max(0, c.start), end: Math.min(seconds, c.end), text: c.text }));
}

function assertCues(got: PublishedCue[], want: PublishedCue[], what: string): void {
  assert.deepEqual(got.map((c) => c.text), want.map((c) => c.text), `${what}: cue texts`);
  got.forEach((c, i) => {
    assert.ok(Math.abs(c.start - want[i].start) <= 0.001 && Math.abs(c.end - want[i].end) <= 0.001, `${what} cue ${i + 1} at ${c.start}-${c.end} s, want ${want[i].start}-${want[i].end} s`);
  });
}

/** EXT-X-MEDIA:TYPE=SUBTITLES attributes of a master playlist. */
function subtitleMedia(master: string): Record<string, string>[] {
  return master
    .split('\n')
    .filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES'))
    .map((l) => Object.fromEntries([...l.slice(13).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)].map((m) => [m[1], m[2].replace(/^"|"$/g, '')])));
}

/** Source seconds of the first video frame. */
function videoStart(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
}

function ffmpeg(args: string[]): void {
  execFileSync('nice', ['-n', '10', 'ffmpeg', '-v', 'error', '-y', ...args]);
}

describe('streaming output: subtitle tracks become WebVTT renditions', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  /**
   * A Matroska whose video starts 0.5 s in, with an SRT track (English, default), an ASS track (French) and a
   * bitmap track (PGS), streamed once for both tests that look at it.
   */
  let mkvJob: Promise<string> | undefined;
  const mkv = (): Promise<string> =>
    (mkvJob ??= (async () => {
      const dir = env.dir;
      writeFileSync(path.join(dir, 'en.srt'), srt(ENGLISH));
      writeFileSync(path.join(dir, 'fr.ass'), ass());
      writeFileSync(path.join(dir, 'bar.sup'), pgsSubtitle(160, 90, [[1, 2]]));
      const source = path.join(dir, 'languages.mkv');
      ffmpeg([
        '-itsoffset', '0.5', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4',
        '-i', path.join(dir, 'en.srt'), '-i', path.join(dir, 'fr.ass'), '-i', path.join(dir, 'bar.sup'),
        '-map', '0:v', '-map', '1', '-map', '2', '-map', '3',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p',
        '-c:s:0', 'subrip', '-c:s:1', 'ass', '-c:s:2', 'copy',
        '-metadata:s:s:0', 'language=eng', '-metadata:s:s:0', 'title=English',
        '-metadata:s:s:1', 'language=fre', '-metadata:s:s:1', 'title=Français', '-metadata:s:s:2', 'language=eng',
        '-disposition:s:0', 'default', '-disposition:s:1', '0', '-disposition:s:2', '0',
        // Every input keeps its own times (ffmpeg would start each at 0): the video at 0.5 s, the cues where written.
        '-copyts',
        source,
      ]);
      const out = path.join(dir, 'mkv-stream');
      const started = Date.now();
      await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [180], streamSegmentSeconds: 2 });
      console.log(`subtitled Matroska: ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
      return out;
    })());

  it('MP4 with a mov_text track: one WebVTT rendition with the source cues, in the master playlist, the MPD and manifest.json', async () => {
    const cues = MP4_CUES;
    writeFileSync(path.join(env.dir, 'mp4.srt'), srt(cues));
    const source = path.join(env.dir, 'movtext.mp4');
    ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4',
      '-i', path.join(env.dir, 'mp4.srt'), '-map', '0', '-map', '1', '-map', '2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng', source,
    ]);
    assert.equal(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 's', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', source], { encoding: 'utf8' }).trim(), 'mov_text');
    const out = path.join(env.dir, 'mp4-stream');
    await env.run({ source: `file://${source}`, output: `file://${out}/`, package: 'hls,dash', ladder: [180], streamSegmentSeconds: 2 });

    assert.deepEqual(readdirSync(path.join(out, 'sub-0')).sort(), ['index.m3u8', 'subtitles.vtt']);
    // Video from 0: the cues keep the source's times.
    assertCues(publishedCues(path.join(out, 'sub-0', 'subtitles.vtt')), onTimeline(cues, 0, 4), 'mov_text');

    const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
    assert.deepEqual(subtitleMedia(master), [{ TYPE: 'SUBTITLES', 'GROUP-ID': 'subs', NAME: 'en', LANGUAGE: 'en', DEFAULT: 'YES', AUTOSELECT: 'YES', URI: 'sub-0/index.m3u8' }]);
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    assert.ok(variants.length > 0 && variants.every((l) => l.includes('SUBTITLES="subs"') && l.includes('AUDIO="audio"')), master);
    const media = readFileSync(path.join(out, 'sub-0', 'index.m3u8'), 'utf8');
    assert.match(media, /#EXT-X-TARGETDURATION:4\n[\s\S]*#EXTINF:4\.000000,\nsubtitles\.vtt\n#EXT-X-ENDLIST/);

    const mpd = readFileSync(path.join(out, 'manifest.mpd'), 'utf8');
    assert.match(mpd, /<AdaptationSet id="\d+" contentType="text" mimeType="text\/vtt" lang="en">[\s\S]*?<Representation id="sub-0" bandwidth="\d+">\s*<BaseURL>sub-0\/subtitles\.vtt<\/BaseURL>/);

    // ffprobe reads the subtitle rendition through its media playlist: one packet per cue.
    const packets = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path.join(out, 'sub-0', 'index.m3u8')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(packets.map(Number), onTimeline(cues, 0, 4).map((c) => c.start));

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(
      manifest.stream.subtitles.map((s: Record<string, unknown>) => [s.name, s.language, s.sourceCodec, s.cues, s.cutBefore, s.cutAfter, s.clamped]),
      [['sub-0', 'en', 'mov_text', 3, 0, 1, 1]],
      'three cues kept, one of them shortened to the video, one cut',
    );
    assert.equal(manifest.stream.skippedSubtitles, undefined);

    // The WebVTT is published before any playlist, and manifest.json last.
    const mtime = (f: string): number => statSync(path.join(out, f)).mtimeMs;
    assert.ok(mtime('sub-0/subtitles.vtt') <= Math.min(mtime('sub-0/index.m3u8'), mtime('master.m3u8'), mtime('manifest.mpd')));
    assert.ok(mtime('master.m3u8') <= mtime('manifest.json'));
  });

  it('Matroska with SRT and ASS in two languages and a bitmap track: cues moved to the video start, cut and clamped; bitmaps skipped', async () => {
    const out = await mkv();
    const master = readFileSync(path.join(out, 'master.m3u8'), 'utf8');
    assert.deepEqual(subtitleMedia(master), [
      { TYPE: 'SUBTITLES', 'GROUP-ID': 'subs', NAME: 'English', LANGUAGE: 'en', DEFAULT: 'YES', AUTOSELECT: 'YES', URI: 'sub-0/index.m3u8' },
      { TYPE: 'SUBTITLES', 'GROUP-ID': 'subs', NAME: 'Français', LANGUAGE: 'fr', DEFAULT: 'NO', AUTOSELECT: 'YES', URI: 'sub-1/index.m3u8' },
    ]);
    assert.ok(master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:')).every((l) => l.includes('SUBTITLES="subs"')));

    // The video starts about 0.5 s into the source (the encoder adds its delay): package time 0. Cues move by as much;
    // the 4 s of video end the package.
    const offset = videoStart(path.join(env.dir, 'languages.mkv'));
    assert.ok(offset >= 0.5 && offset < 0.6, `the video starts at ${offset} s`);
    const english = onTimeline(ENGLISH, offset, 4);
    assert.equal(english.length, ENGLISH.length - 2, 'one cue before the video and one after it are cut');
    assertCues(publishedCues(path.join(out, 'sub-0', 'subtitles.vtt')), english, 'SRT');
    assertCues(publishedCues(path.join(out, 'sub-1', 'subtitles.vtt')), onTimeline(FRENCH, offset, 4), 'ASS');

    const mpd = readFileSync(path.join(out, 'manifest.mpd'), 'utf8');
    const textSets = [...mpd.matchAll(/<AdaptationSet [^>]*contentType="text" mimeType="text\/vtt" lang="(\w+)">[\s\S]*?<BaseURL>([^<]+)<\/BaseURL>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(textSets, [['en', 'sub-0/subtitles.vtt'], ['fr', 'sub-1/subtitles.vtt']]);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(
      manifest.stream.subtitles.map((s: Record<string, unknown>) => [s.name, s.label, s.sourceStream, s.sourceCodec, s.cues, s.cutBefore, s.cutAfter, s.clamped]),
      [
        ['sub-0', 'English', 1, 'subrip', 4, 1, 1, 2],
        ['sub-1', 'Français', 2, 'ass', 3, 0, 0, 0],
      ],
    );
    assert.deepEqual(manifest.stream.skippedSubtitles.map((s: { index: number; codec: string }) => [s.index, s.codec]), [[3, 'hdmv_pgs_subtitle']]);
    for (const s of manifest.stream.skippedSubtitles) assert.match(s.reason, /pictures of text/);
    assert.deepEqual(readdirSync(out).filter((d) => d.startsWith('sub-')).sort(), ['sub-0', 'sub-1'], 'no folder for a bitmap track');
  });

  it('verify fails a WebVTT file whose cue moved by 40 ms or that lost a cue, naming the track and the cue', async () => {
    const out = await mkv();
    const source = path.join(env.dir, 'languages.mkv');
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const subtitles = manifest.stream.subtitles.map((s: Record<string, unknown>) => ({ ...s, index: s.sourceStream, lang: s.language })) as SubtitleRendition[];
    const work = path.join(env.dir, 'verify-work');
    cpSync(out, path.join(work, 'stream'), { recursive: true });
    const input = { workUrl: `file://${work}/`, subtitles, sourceSeconds: 4, seams: { source: `file://${source}`, gridStart: videoStart(source) } } as VerifyStreamInput;
    const check = (): Promise<string[]> =>
      runWithActivityContext({ heartbeat: () => undefined, cancellationSignal: new AbortController().signal, attempt: 1 }, () => subtitleProblems(new Stores('/'), input, env.dir));
    assert.deepEqual(await check(), [], 'the published files pass');

    const english = path.join(work, 'stream', 'sub-0', 'subtitles.vtt');
    const text = readFileSync(english, 'utf8');
    writeFileSync(english, text.replace(/00:00:00\.730 --> 00:00:01\.980/, '00:00:00.770 --> 00:00:02.020'));
    assert.notEqual(readFileSync(english, 'utf8'), text, 'the cue to move is where the test expects it');
    const moved = await check();
    assert.equal(moved.length, 1, moved.join('; '));
    assert.match(moved[0], /subtitle track sub-0 \(source stream 1, English\): cue 2 at 770-2020 ms, the source's at 730\.0-1980\.0 ms/);

    const french = path.join(work, 'stream', 'sub-1', 'subtitles.vtt');
    writeFileSync(french, readFileSync(french, 'utf8').replace(/\n\n[^\n]*-->[^\n]*\nAu revoir\n/, '\n'));
    assert.ok((await check()).some((p) => /subtitle track sub-1 \(source stream 2, Français\) holds 2 cues, the source track 3 within the video/.test(p)));
  });

  it('plays in chromium: hls.js and dash.js list both subtitle tracks and show the chosen one\'s cues on the video timeline', { ...browser, timeout: 120_000 }, async () => {
    const out = await mkv();
    const server = await startPreviewServer({ folder: out });
    let chrome: Browser | undefined;
    try {
      chrome = await launchChromium();
      const page = await chrome.newPage();
      await page.goto(`${server.url}?format=hls`);
      await page.waitForFunction('window.preview !== undefined && window.preview.ready === true && window.preview.subtitles.length === 2', null, { timeout: 30_000 });
      assert.deepEqual(await page.evaluate('window.preview.subtitles'), [{ name: 'English', lang: 'en' }, { name: 'Français', lang: 'fr' }]);
      await page.evaluate("(() => { window.previewSubtitle(0); const v = document.getElementById('video'); v.playbackRate = 2; return v.play(); })()");
      // Cues arrive in the showing text track once hls.js has loaded and placed the WebVTT.
      const cuesNow = `(() => { const t = [...document.getElementById('video').textTracks].find((t) => t.mode === 'showing'); return t && t.cues ? [...t.cues].map((c) => ({ start: c.startTime, end: c.endTime, text: c.text })) : []; })()`;
      const offset = videoStart(path.join(env.dir, 'languages.mkv'));
      await page.waitForFunction(`${cuesNow}.length >= 4`, null, { timeout: 30_000 });
      const shown = (await page.evaluate(cuesNow)) as PublishedCue[];
      assertCues(shown.sort((a, b) => a.start - b.start), onTimeline(ENGLISH, offset, 4), 'hls.js cues');
      assert.deepEqual(await page.evaluate('window.preview.errors'), [], 'hls.js errors');

      await page.goto(`${server.url}?format=dash`);
      await page.waitForFunction('window.preview !== undefined && window.preview.subtitles.length === 2', null, { timeout: 30_000 });
      assert.deepEqual(await page.evaluate('window.preview.subtitles.map((t) => t.lang)'), ['en', 'fr']);
      await page.evaluate("(() => { window.previewSubtitle(1); const v = document.getElementById('video'); v.playbackRate = 2; return v.play(); })()");
      await page.waitForFunction(`${cuesNow}.length >= 3`, null, { timeout: 30_000 });
      const french = (await page.evaluate(cuesNow)) as PublishedCue[];
      assertCues(french.sort((a, b) => a.start - b.start), onTimeline(FRENCH, offset, 4), 'dash.js cues');
      const shot = path.join(mkdtempSync(path.join(os.tmpdir(), 'shardflow-subtitles-')), 'preview-dash-subtitles.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`dash.js showed ${french.length} French cues; screenshot ${shot}`);
      assert.deepEqual(await page.evaluate('window.preview.errors'), [], 'dash.js errors');
    } finally {
      await chrome?.close();
      await server.close();
    }
  });
});
