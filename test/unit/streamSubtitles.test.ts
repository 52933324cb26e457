// Subtitles in streaming output, the parts that need no ffmpeg: which tracks
// become WebVTT and what they are called, reading, shifting and writing
// WebVTT, the HLS and DASH text for subtitle tracks, and reading ffprobe's
// decoded subtitles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { languageTag, planSubtitles } from '../../src/core/media/subtitleTracks';
import { decodedCues } from '../../src/media/subtitleArgs';
import { dashManifest } from '../../src/stream/dashManifest';
import { masterPlaylist } from '../../src/stream/hlsPlaylists';
import { subtitleMediaPlaylist, type SubtitleEntry } from '../../src/stream/subtitleManifests';
import type { TrackTimeline } from '../../src/stream/trackTimeline';
import { formatTimestamp, parseTimestamp, parseWebVtt, placeCues, webVttText, TIMESTAMP_MAP } from '../../src/stream/webvtt';

const sub = (index: number, codec: string, more: Partial<{ language: string; title: string; default: boolean; forced: boolean }> = {}) => ({
  index,
  codec,
  default: false,
  forced: false,
  ...more,
});

describe('subtitle tracks of a streaming package', () => {
  it('turns text codecs into tracks named sub-0, sub-1 and skips bitmap ones with the reason', () => {
    const plan = planSubtitles([sub(2, 'subrip', { language: 'eng', default: true }), sub(3, 'hdmv_pgs_subtitle', { language: 'eng' }), sub(4, 'ass', { language: 'fre', title: 'Français' }), sub(5, 'dvd_subtitle'), sub(6, 'eia_608')]);
    assert.deepEqual(plan.tracks.map((t) => [t.name, t.index, t.lang, t.label, t.default]), [['sub-0', 2, 'en', 'en', true], ['sub-1', 4, 'fr', 'Français', false]]);
    assert.deepEqual(plan.skipped.map((s) => [s.index, s.codec]), [[3, 'hdmv_pgs_subtitle'], [5, 'dvd_subtitle'], [6, 'eia_608']]);
    assert.match(plan.skipped[0].reason, /hdmv_pgs_subtitle subtitles are pictures of text/);
    assert.match(plan.skipped[2].reason, /eia_608 is not a text subtitle format/);
    assert.deepEqual(planSubtitles(undefined), { tracks: [], skipped: [] });
  });

  it('gives every track a label players can show: unique, without quotes or line breaks', () => {
    const plan = planSubtitles([sub(1, 'subrip', { language: 'eng' }), sub(2, 'subrip', { language: 'eng' }), sub(3, 'mov_text'), sub(4, 'webvtt', { title: 'Say "hi"\nnow' })]);
    assert.deepEqual(plan.tracks.map((t) => t.label), ['en', 'en (2)', 'Subtitles 3', 'Say  hi  now']);
  });

  it('writes RFC 5646 language tags: two letters where ISO 639-1 has them', () => {
    assert.equal(languageTag('eng'), 'en');
    assert.equal(languageTag('ger'), 'de');
    assert.equal(languageTag('deu'), 'de');
    assert.equal(languageTag('pt-BR'), 'pt-BR');
    assert.equal(languageTag('haw'), 'haw');
    assert.equal(languageTag(undefined), 'und');
    assert.equal(languageTag('not a tag'), 'und');
  });
});

describe('WebVTT', () => {
  const file = [
    '\uFEFFWEBVTT',
    '',
    'NOTE made by ffmpeg',
    '',
    '00:00.100 --> 00:00.400',
    'Before',
    '',
    'intro',
    '00:00.300 --> 00:01.000 align:start',
    'Straddles',
    '',
    '01:00:01.250 --> 01:00:02.500',
    'Hello <i>world</i>',
    'second line',
    '',
  ].join('\r\n');

  it('reads cues with their identifiers, settings and lines; times in milliseconds', () => {
    assert.deepEqual(parseWebVtt(file, 'x.vtt'), [
      { id: undefined, start: 100, end: 400, settings: '', text: 'Before' },
      { id: 'intro', start: 300, end: 1000, settings: 'align:start', text: 'Straddles' },
      { id: undefined, start: 3_601_250, end: 3_602_500, settings: '', text: 'Hello <i>world</i>\nsecond line' },
    ]);
    assert.equal(parseTimestamp('1:02.345'), undefined);
    assert.equal(parseTimestamp('12:02.345'), 722_345);
  });

  it('refuses what is not WebVTT, naming the file', () => {
    assert.throws(() => parseWebVtt('1\n00:00:01,000 --> 00:00:02,000\nsrt\n', 'track.vtt'), /track\.vtt is not WebVTT/);
    assert.throws(() => parseWebVtt('WEBVTT\n\n00:01.000 --> 00:00.500\nback\n', 'track.vtt'), /track\.vtt: the cue at 00:01.000 ends before it starts/);
    assert.throws(() => parseWebVtt('WEBVTT\n\n00:01.000 --> 2.000\nx\n', 'track.vtt'), /track\.vtt: "00:01.000 --> 2.000" is not a WebVTT cue timing line/);
    assert.throws(() => parseWebVtt('WEBVTT\n\na\nb\n00:01.000 --> 00:02.000\nx\n', 'track.vtt'), /track\.vtt: block 1 has 2 lines before its timing line/);
  });

  it('moves cues by the video start: those before 0 or past the end are cut, those across an edge clamped', () => {
    const cues = parseWebVtt(file, 'x.vtt').slice(0, 2);
    cues.push({ start: 4200, end: 5000, settings: '', text: 'end' }, { start: 5500, end: 6000, settings: '', text: 'after' }, { start: 1250, end: 2500, settings: '', text: 'inside' });
    const placed = placeCues(cues, 520, 4000);
    assert.deepEqual(placed.cues.map((c) => [c.text, c.start, c.end]), [['Straddles', 0, 480], ['end', 3680, 4000], ['inside', 730, 1980]]);
    assert.deepEqual([placed.cutBefore, placed.cutAfter, placed.clamped], [1, 1, 2]);
    // A cue ending exactly at the first frame, or starting exactly at the end, shows nothing of the video.
    assert.equal(placeCues([{ start: 0, end: 520, settings: '', text: 'a' }, { start: 4520, end: 5000, settings: '', text: 'b' }], 520, 4000).cues.length, 0);
  });

  it('writes cues back with whole milliseconds and the timestamp map hls.js places them by', () => {
    const text = webVttText([{ id: 'intro', start: 0, end: 479.6, settings: 'align:start', text: 'a\nb' }, { start: 3_723_004.4, end: 3_723_010, settings: '', text: 'c' }], [TIMESTAMP_MAP]);
    assert.equal(text, 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\nintro\n00:00:00.000 --> 00:00:00.480 align:start\na\nb\n\n01:02:03.004 --> 01:02:03.010\nc\n');
    assert.deepEqual(parseWebVtt(text, 'round trip').map((c) => [c.start, c.end]), [[0, 480], [3_723_004, 3_723_010]]);
    assert.equal(formatTimestamp(59_999.6), '00:01:00.000');
  });
});

describe('playlists and MPD with subtitle tracks', () => {
  const tracks: SubtitleEntry[] = [
    { name: 'sub-0', label: 'English', lang: 'en', default: true, forced: false, file: 'sub-0/subtitles.vtt', bytes: 1000 },
    { name: 'sub-1', label: 'Fr & <co>', lang: 'fr', default: true, forced: true, file: 'sub-1/subtitles.vtt', bytes: 10 },
    { name: 'sub-2', label: 'Subtitles 3', lang: 'und', default: false, forced: false, file: 'sub-2/subtitles.vtt', bytes: 10 },
  ];

  it('lists each track in the master playlist\'s "subs" group, one DEFAULT, and names the group on every variant', () => {
    const rung = { bandwidth: 500_000, averageBandwidth: 380_000, codecs: 'avc1.64001e,mp4a.40.2', frameRate: '25.000' };
    const text = masterPlaylist([{ name: '360p', width: 640, height: 360, ...rung }, { name: '180p', width: 320, height: 180, ...rung }], { name: 'audio', channels: 2 }, tracks);
    const media = text.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES'));
    assert.deepEqual(media, [
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="sub-0/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Fr & <co>",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES,URI="sub-1/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitles 3",DEFAULT=NO,AUTOSELECT=YES,URI="sub-2/index.m3u8"',
    ]);
    const variants = text.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    assert.equal(variants.length, 2);
    for (const v of variants) assert.match(v, /,AUDIO="audio",SUBTITLES="subs"$/);
    // Without subtitle tracks nothing changes.
    assert.doesNotMatch(masterPlaylist([{ name: '360p', width: 640, height: 360, ...rung }], undefined), /SUBTITLES/);
  });

  it('writes a media playlist of the one WebVTT file as long as the video', () => {
    const text = subtitleMediaPlaylist(tracks[0], 20.04);
    assert.equal(text, '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:21\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:20.040000,\nsubtitles.vtt\n#EXT-X-ENDLIST\n');
  });

  it('adds one text/vtt AdaptationSet per track to the MPD, with lang, role, label and the file', () => {
    const video: TrackTimeline = { name: '360p', timescale: 12800, starts: [0], durations: [25600], sizes: [1000], firstNumber: 0 };
    const text = dashManifest([{ timeline: video, bandwidth: 400_000, codecs: 'avc1.64001e', width: 640, height: 360 }], undefined, '25/1', 2, 2, tracks);
    const sets = [...text.matchAll(/<AdaptationSet id="(\d+)" contentType="text" mimeType="text\/vtt" lang="([\w-]+)">\s*<Role [^>]*value="([\w-]+)"\/>\s*<Label>([^<]*)<\/Label>\s*<Representation id="([\w-]+)" bandwidth="(\d+)">\s*<BaseURL>([^<]+)<\/BaseURL>/g)].map((m) => m.slice(1));
    assert.deepEqual(sets, [
      ['2', 'en', 'subtitle', 'English', 'sub-0', '4000', 'sub-0/subtitles.vtt'],
      ['3', 'fr', 'forced-subtitle', 'Fr &amp; &lt;co&gt;', 'sub-1', '40', 'sub-1/subtitles.vtt'],
      ['4', 'und', 'subtitle', 'Subtitles 3', 'sub-2', '40', 'sub-2/subtitles.vtt'],
    ]);
    assert.ok(text.indexOf('contentType="text"') < text.indexOf('</Period>'));
  });
});

describe("ffprobe's decoded subtitles", () => {
  it('reads each shown subtitle\'s display interval in milliseconds; empty ones (a cleared screen) are not cues', () => {
    const json = JSON.stringify({
      frames: [
        { media_type: 'subtitle', pts: 1_250_000, start_display_time: 0, end_display_time: 1250, num_rects: 1 },
        { media_type: 'subtitle', pts: 2_500_000, start_display_time: 0, end_display_time: 500, num_rects: 0 },
        { media_type: 'subtitle', pts: 3_000_000, start_display_time: 10, end_display_time: 760, num_rects: 1 },
      ],
    });
    assert.deepEqual(decodedCues(json), [{ start: 1250, end: 2500 }, { start: 3010, end: 3760 }]);
  });
});
