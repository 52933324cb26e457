// The encodeShard activity outside Temporal, with real ffmpeg: a shard whose
// grid slots need frames the video does not have fails for good (InvalidMedia,
// naming the object, the shard and the count), since every retry would read
// the same bytes; a shard that has its frames encodes exactly them.
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
      shard: { start: { num: 1, den: 1 }, end: { num: endSeconds * 25, den: 25 }, lastFrame: { num: lastFrameSeconds * 25, den: 25 } },
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
    assert.match(err.message, /^file:\/\/.*\.mp4 is not a usable video: shard 2\/3 of mp4-360p got \d+ of the 50 frames its grid slots 25-74 need/);
  });
});
