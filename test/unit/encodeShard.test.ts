// The encodeShard activity outside Temporal, with real ffmpeg: a shard whose
// grid slots need frames the video does not have fails for good (InvalidMedia,
// naming the object, the shard and the count), since every retry would read
// the same bytes; a shard that has its frames encodes exactly them; a seek that
// loses frames is caught and the shard decoded from the start instead.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runWithActivityContext } from '../../src/activities/activityContext';
import { encodeShard } from '../../src/activities/encodeShard';
import { probeSource } from '../../src/activities/probeSource';
import { loadConfig, type Config } from '../../src/config';
import type { EncodeShardInput, MediaInfo } from '../../src/core/contracts';
import { PRESETS } from '../../src/core/job/presets';
import { Stores } from '../../src/storage/stores';
import { makeClip } from '../support/clips';
import { expectApplicationFailure } from '../support/failures';
import { videoOf } from '../support/ffprobe';
import { framePsnr, gridFrames } from '../support/frameCompare';
import { needsSharedClips, sharedClip } from '../support/sharedMedia';
import { parseRational } from '../../src/core/media/rational';
import { planShards } from '../../src/core/media/shardPlan';
import { readTimeline, SEEK_MARGIN_SECONDS } from '../../src/media/readTimeline';

const OPEN_GOP = 'corpus/mp4_h264_444_editlist_negpts_13pkts_12frames.mp4';

const ctx = () => ({ heartbeat: () => {}, cancellationSignal: new AbortController().signal, attempt: 1 });

describe('encodeShard', () => {
  let dir: string;
  let config: Config;
  let stores: Stores;
  let source: string;
  let info: MediaInfo;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shardflow-encode-'));
    config = { ...loadConfig({ ...process.env, SHARDFLOW_DATA_DIR: dir }), ffmpegThreads: 1 };
    stores = new Stores(config.localStoreRoot, { scratchDir: config.scratchDir });
    source = `file://${makeClip({ seconds: 2, fps: 25, gop: 25, audio: false })}`;
    info = await runWithActivityContext(ctx(), () => probeSource({ config, stores })({ source }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function input(endSeconds: number, lastFrameSeconds: number): EncodeShardInput {
    const v = info.video!;
    return {
      common: {
        workUrl: `file://${path.join(dir, 'work')}/`,
        source,
        mode: 'range',
        videoStream: v.index,
        grid: v.grid,
        fps: v.frameRate,
        geometry: { width: v.width, height: v.height, rotation: v.rotation },
      },
      index: 1,
      count: 3,
      shard: {
        start: { num: 1, den: 1 },
        end: { num: endSeconds * 25, den: 25 },
        lastFrame: { num: lastFrameSeconds * 25, den: 25 },
        firstFrame: { num: 1, den: 1 },
        frames: Math.round((lastFrameSeconds - 1) * 25) + 1,
      },
      rendition: PRESETS['mp4-360p'],
    };
  }

  it('encodes exactly the slots of its span, holding the last frame to the end of the video', async () => {
    assert.equal(info.video?.frameCount, 50);
    const result = await runWithActivityContext(ctx(), () => encodeShard({ config, stores })(input(2, 49 / 25)));
    assert.deepEqual(result, { frames: 25, reused: false });
    const stored = path.join(dir, 'work', 'video', 'mp4-360p', '000001.mp4');
    assert.equal(videoOf(stored).frames, 25);
  });

  it('fails for good when the video ends before the frames its slots need', async () => {
    // A span to 3 s, whose last frame is said to be at 2.96 s: the 2 s clip ends 24 frames short of that.
    const err = await expectApplicationFailure(runWithActivityContext(ctx(), () => encodeShard({ config, stores })(input(3, 74 / 25))));
    assert.equal(err.type, 'InvalidMedia');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^file:\/\/.*\.mp4 is not a usable video: shard 2\/3 of mp4-360p: ffmpeg decoded 25 of the 50 source frames between 1\.000 s and 3\.000 s/);
  });

  it('catches frames a decoder drops after a seek into open GOPs, and encodes the shard from the start instead', needsSharedClips(OPEN_GOP), async () => {
    // I/B/B with leading pictures at every keyframe: after the planned seek, a one-thread decoder drops the last
    // frame (11 s); the fps filter would have held frame 9 in its slot.
    const file = sharedClip(OPEN_GOP);
    const url = `file://${file}`;
    const probed = await runWithActivityContext(ctx(), () => probeSource({ config, stores })({ source: url }));
    const v = probed.video!;
    const timeline = await readTimeline({ file, stream: v.index, timeBase: v.grid.timeBase, formatStart: probed.startTime });
    const fps = parseRational(v.frameRate)!;
    const plan = planShards({ timeline, grid: v.grid, fps, segmentSeconds: 1, formatStart: probed.startTime, seekMargin: SEEK_MARGIN_SECONDS });
    assert.equal(plan.mode, 'range');
    const last = plan.shards.length - 1;
    assert.ok(plan.shards[last].seekSeconds !== undefined, 'the last shard seeks');
    const grid = gridFrames(file, ['setpts=PTS-STARTPTS', `fps=${v.frameRate}`, 'scale=440:360', 'format=yuv420p'], path.join(dir, 'open-grid.mkv'));
    // As planned (one GOP further back for open GOPs), and with the seek one GOP later, where a one-thread decoder
    // drops the last frame: the check sees it and the shard is decoded from the start.
    for (const [name, seekSeconds] of [['planned', plan.shards[last].seekSeconds], ['late', 6]] as const) {
      const workUrl = `file://${path.join(dir, `work-open-${name}`)}/`;
      const warnings: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string) => (warnings.push(String(chunk)), true)) as typeof process.stderr.write;
      try {
        const result = await runWithActivityContext(ctx(), () =>
          encodeShard({ config, stores })({
            common: { workUrl, source: url, mode: 'range', videoStream: v.index, grid: v.grid, fps: v.frameRate, geometry: { width: v.width, height: v.height, rotation: v.rotation } },
            index: last,
            count: plan.shards.length,
            shard: { ...plan.shards[last], seekSeconds },
            rendition: PRESETS['mp4-360p'],
          }),
        );
        assert.equal(result.frames, 1);
      } finally {
        process.stderr.write = write;
      }
      assert.equal(warnings.some((w) => /decoded other frames than the source holds/.test(w)), name === 'late', `${name}: ${warnings.join('')}`);
      // The shard shows the source's last frame, as a single pass does.
      const shard = path.join(dir, `work-open-${name}`, 'video', 'mp4-360p', `${String(last).padStart(6, '0')}.mp4`);
      const own = framePsnr(shard, grid, 1, last)[0];
      const before = framePsnr(shard, grid, 1, last - 2)[0];
      assert.ok(own > 40 && own > before + 10, `${name}: shard vs source frame ${last}: ${own} dB, vs frame ${last - 2}: ${before} dB`);
    }
  });
});
