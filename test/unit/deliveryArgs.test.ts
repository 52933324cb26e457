// ffmpeg arguments for the samples' flv/mov/avi dst formats and extract-audio,
// and the renditions those formats stand for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryArgs, extractAudioArgs, isAudioFormat, isDeliveryFormat } from '../../src/media/deliveryArgs';
import { outputExtension, renditionFor } from '../../src/functions/videoSample';

describe('delivery formats', () => {
  it('copy the merged H.264 video; FLV and MOV copy the AAC too, AVI carries MP3', () => {
    const flv = deliveryArgs('in.mp4', 'out.flv', 'flv');
    assert.deepEqual(flv.slice(-2), ['flv', 'out.flv']);
    assert.ok(flv.join(' ').includes('-c:v copy -c:a copy'));
    const mov = deliveryArgs('in.mp4', 'out.mov', 'mov');
    assert.ok(mov.join(' ').includes('-movflags +faststart -f mov'));
    const avi = deliveryArgs('in.mp4', 'out.avi', 'avi');
    assert.ok(avi.join(' ').includes('-c:v copy -c:a libmp3lame'));
    for (const args of [flv, mov, avi]) assert.ok(args.join(' ').includes('-map 0:v:0 -map 0:a:0?'), 'audio only when there is some');
  });

  it('are encoded as mp4 under their own name, and named by their own extension', () => {
    for (const f of ['flv', 'mov', 'avi', '.FLV']) {
      const r = renditionFor(f);
      assert.equal(r.container, 'mp4');
      assert.equal(r.video.codec, 'h264');
      assert.equal(r.name, f.replace('.', '').toLowerCase());
      assert.equal(outputExtension(r), r.name);
    }
    assert.equal(outputExtension(renditionFor('mkv')), 'mkv');
    assert.ok(isDeliveryFormat('avi') && !isDeliveryFormat('mkv'));
  });
});

describe('extractAudioArgs', () => {
  it('maps the one audio stream, no video, with the encoder and muxer of the format', () => {
    const mp3 = extractAudioArgs({ input: 'in.mov', audioStream: 1, format: 'mp3', output: 'a.mp3' }).join(' ');
    assert.ok(mp3.includes('-map 0:1 -vn -sn -dn -c:a libmp3lame'));
    assert.ok(mp3.includes('-format_whitelist') && mp3.includes('-protocol_whitelist'), 'the source is read as every source is');
    assert.ok(mp3.endsWith('-f mp3 a.mp3'));
    const m4a = extractAudioArgs({ input: 'in.mov', audioStream: 2, format: 'm4a', output: 'a.m4a' }).join(' ');
    assert.ok(m4a.includes('-map 0:2') && m4a.includes('-c:a aac') && m4a.endsWith('-f ipod a.m4a'));
  });

  it('knows mp3 and m4a, not raw aac (its length cannot be verified)', () => {
    assert.ok(isAudioFormat('mp3') && isAudioFormat('m4a'));
    assert.ok(!isAudioFormat('aac') && !isAudioFormat('toString'));
  });
});
