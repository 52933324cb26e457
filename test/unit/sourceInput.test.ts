// A user's file is opened only as a media container over the file protocol:
// playlists, concat lists and image sequences name other files, and ffprobe
// must refuse them without opening what they name. Real ffprobe, real files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PRESETS } from '../../src/core/job/presets';
import { encodeAudioArgs, encodeShardArgs, frameTimesArgs, mergeArgs, singlePassReferenceArgs, splitArgs } from '../../src/media/ffmpegArgs';
import { packetScanArgs } from '../../src/media/packetScan';
import { runFfmpeg } from '../../src/media/ffmpeg';
import { probeMedia, UnreadableMediaError } from '../../src/media/probe';
import { refusedFormat, sourceInput, SOURCE_DEMUXERS } from '../../src/media/sourceInput';
import { makeCanary, wasRead } from '../support/canary';
import { makeClip } from '../support/clips';
import { needsSharedClips, SHARED_MEDIA } from '../support/sharedMedia';

/** A clip ffprobe reads happily: the file a playlist would smuggle in. */
const clip = (): string => makeClip({ seconds: 1 });

function refusal(format: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UnreadableMediaError, `expected UnreadableMediaError, got ${String(err)}`);
    assert.match(err.message, format);
    assert.match(err.message, /not a media container/);
    return true;
  };
}

describe('source inputs', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'source-input-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every argument list that reads a user file carries both whitelists', () => {
    const guarded = (args: string[], file: string): void => {
      const at = args.indexOf(file);
      assert.deepEqual(args.slice(at - 5, at + 1), sourceInput(file), args.join(' '));
    };
    guarded(splitArgs({ input: '/s/src.mp4', videoStreamIndex: 0, cuts: [], tolerance: 0.01, outputPattern: '/s/%06d.mkv', listFile: '/s/l.csv' }), '/s/src.mp4');
    guarded(encodeAudioArgs({ input: '/s/src.mp4', audioStream: 1, sourceChannels: 2, audio: { codec: 'aac', bitrate: '128k' }, output: '/s/a.m4a' }), '/s/src.mp4');
    const merge = mergeArgs({ copyVideoFrom: { file: '/s/src.mp4', stream: 0 }, videoOffset: 0, audioFile: '/s/src2.mp4', container: 'mp4', hevc: false, output: '/s/o.mp4' });
    guarded(merge, '/s/src.mp4');
    guarded(merge, '/s/src2.mp4');
    // The concat list is written by the merge itself, so it keeps its forced demuxer.
    const concat = mergeArgs({ concatList: '/s/list.txt', videoOffset: 0, container: 'mp4', hevc: false, output: '/s/o.mp4' });
    assert.deepEqual(concat.slice(concat.indexOf('/s/list.txt') - 5, concat.indexOf('/s/list.txt')), ['-f', 'concat', '-safe', '0', '-i']);
    const shard = encodeShardArgs({
      input: '/s/src.mp4',
      seekSeconds: 1,
      timeBase: '1/12800',
      originPts: 0,
      startSlot: 25,
      endSlot: 35,
      check: { fromPts: 12800, toPts: 17920, file: '/s/decoded.framecrc' },
      fps: '25/1',
      threads: 1,
      videoStream: 0,
      geometry: { width: 320, height: 240, rotation: 0 },
      rendition: PRESETS['mp4-360p'],
      output: '/s/o.mp4',
    });
    guarded(shard, '/s/src.mp4');
    guarded(frameTimesArgs({ input: '/s/src.mp4', stream: 0, seekSeconds: 2 }), '/s/src.mp4');
    guarded(singlePassReferenceArgs({ input: '/s/src.mp4', videoStream: 0, fps: '25/1', geometry: { width: 320, height: 240, rotation: 0 }, rendition: PRESETS['mp4-360p'], output: '/s/r.mp4' }), '/s/src.mp4');
    const scan = packetScanArgs('/s/src.mp4', 0);
    assert.deepEqual(scan.slice(-6), sourceInput('/s/src.mp4'), 'ffprobe packet scans too');
  });

  it('reads and decodes every container in the shared media', needsSharedClips('corpus/MANIFEST.tsv'), async () => {
    const files = [
      ...readdirSync(SHARED_MEDIA).map((f) => path.join(SHARED_MEDIA, f)),
      ...readdirSync(path.join(SHARED_MEDIA, 'corpus')).map((f) => path.join(SHARED_MEDIA, 'corpus', f)),
    ].filter((f) => /\.(mp4|mov|mkv|webm|ts|avi|flv)$/.test(f) && !f.includes('broken'));
    assert.ok(files.length >= 15, `found ${files.length} clips`);
    for (const file of files) {
      const info = await probeMedia(file);
      assert.ok(info.video ?? info.audio, file);
      // ffmpeg takes the same lists: decode the first frame as the probe stage does.
      await runFfmpeg([...sourceInput(file), '-frames:v', '1', '-t', '1', '-f', 'null', '-']);
    }
  });

  it('refuses an HLS playlist named upload.mp4 without reading the file it lists', async () => {
    const canary = makeCanary(clip(), path.join(dir, 'other-jobs-shard.mp4'));
    const upload = path.join(dir, 'upload.mp4');
    writeFileSync(upload, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${canary}\n#EXT-X-ENDLIST\n`);
    await assert.rejects(probeMedia(upload), refusal(/"hls" file/));
    assert.equal(wasRead(canary), false, 'the listed file was read');

    // Plain ffprobe follows the playlist: the attack is real, and the canary notices a read.
    const plain = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', upload]).toString().trim();
    assert.equal(plain, 'hls');
    assert.equal(wasRead(canary), true, 'the canary notices reads (needs a relatime or strictatime mount)');
  });

  it('refuses concat lists and image sequences without reading what they name', async () => {
    const canary = makeCanary(clip(), path.join(dir, 'listed.mp4'));
    const list = path.join(dir, 'list.mp4');
    writeFileSync(list, `ffconcat version 1.0\nfile '${canary}'\n`);
    await assert.rejects(probeMedia(list), refusal(/"concat" file/));
    assert.equal(wasRead(canary), false);

    const png = path.join(dir, 'frame.png');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', png]);
    makeCanary(png, path.join(dir, 'img001.png'));
    makeCanary(png, path.join(dir, 'img002.png'));
    const pattern = path.join(dir, 'img%03d.png');
    writeFileSync(pattern, '');
    await assert.rejects(probeMedia(pattern), refusal(/"image2" file/));
    assert.equal(wasRead(path.join(dir, 'img001.png')), false);
  });

  it('names the refused demuxer from ffmpeg\'s log line', () => {
    assert.equal(refusedFormat("[hls @ 0x5614c0a5240] Format not on whitelist 'mov,matroska'\n"), 'hls');
    assert.equal(refusedFormat('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d] moov atom not found\n'), undefined);
    assert.ok(!SOURCE_DEMUXERS.some((d) => ['hls', 'dash', 'concat', 'image2', 'imf', 'webm_dash_manifest', 'lavfi'].includes(d)));
  });
});
