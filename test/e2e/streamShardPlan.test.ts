// A streaming job that sets no shard length gets shards of whole segments
// sized to its media slots: a 16 s clip in 2 s segments on a worker with two
// slots is cut into two shards of four segments, one per slot, and every rung
// still has every frame in eight segments.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { activityRuns } from '../support/history';
import { joinedTrack } from '../support/streamTrack';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const FPS = 25;
const SECONDS = 16;
const RUNGS = ['180p', '120p'];

describe('streaming shards sized to the media slots', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ mediaConcurrency: 2 });
  });
  after(async () => {
    await env?.close();
  });

  it('cuts a 16 s clip of 2 s segments into one 4-segment shard per slot on a 2-slot worker', { timeout: 240_000 }, async () => {
    const source = makeClip({ seconds: SECONDS, fps: FPS, gop: 2 * FPS, width: 320, height: 180, audio: true });
    const out = path.join(env.dir, 'planned');
    const handle = await env.start({ source: `file://${source}`, output: `file://${out}/`, package: 'hls', ladder: [180, 120], streamSegmentSeconds: 2 });
    const result = (await handle.result()) as { shards: number };
    // 4 shards of 2 segments would take two rounds of tasks; 1 shard of 8 would leave a slot idle.
    assert.equal(result.shards, 2, 'two shards');
    const runs = await activityRuns(env.client, [`${handle.workflowId}.shards-0`], 'encodeShard');
    assert.deepEqual([...runs.keys()].sort(), [1, 2].map((n) => `shard-${n}.${RUNGS.join('+')}`), 'one task per shard');
    for (const rung of RUNGS) {
      const segments = readdirSync(path.join(out, rung)).filter((f) => f.endsWith('.m4s'));
      assert.equal(segments.length, SECONDS / 2, `${rung}: 2 s segments`);
      const video = videoOf(joinedTrack(path.join(out, rung), path.join(env.dir, `${rung}.mp4`)));
      assert.equal(video.frames, SECONDS * FPS, `${rung}: every frame`);
    }
  });
});
