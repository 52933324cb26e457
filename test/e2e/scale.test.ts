// 5,000 shard × rendition tasks with cheap stand-in activities: the job must
// finish without touching Temporal's per-execution limits (2,000 pending
// activities, 51,200 history events, 2 MB payloads).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Activities } from '../../src/core/contracts';
import type { EncodeShardInput, VerifyInput, VerifySeamsInput } from '../../src/core/contracts';
import { MAX_SEAM_TASKS, type SeamRange } from '../../src/core/job/seamParts';
import { DEFAULT_BATCH_SIZE } from '../../src/core/job/jobInput';
import type { MediaInfo } from '../../src/core/media/mediaInfo';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const SHARDS = 2500;
const RENDITIONS = ['mp4-360p', 'mp4-480p'];

const source: MediaInfo = {
  formatName: 'mov,mp4',
  duration: SHARDS,
  startTime: 0,
  size: 1,
  // 10 fps with a keyframe every other frame: seams sought one by one pay, so verify spreads them over tasks.
  video: {
    index: 0, codec: 'h264', width: 640, height: 360, pixFmt: 'yuv420p', rotation: 0, rFrameRate: '10/1', avgFrameRate: '10/1',
    frameRate: '10/1', grid: { timeBase: '1/10', startPts: 0, endPts: SHARDS * 10 }, timing: 'packets',
    startTime: 0, endTime: SHARDS, frameCount: SHARDS * 10, keyframeCount: SHARDS * 5, variableFrameRate: false,
  },
};

const encodes = new Map<string, number>();
let largestShardInput = 0;
/** Per rendition, the seam parts verify compared: verifyRendition's first, then the verifySeams tasks'. */
const seamRanges = new Map<string, SeamRange[]>();
const comparedSeams = (rendition: string, range: SeamRange | undefined) => {
  if (range) seamRanges.set(rendition, [...(seamRanges.get(rendition) ?? []), range]);
};

const standIns: Partial<Activities> = {
  async probeSource() {
    return source;
  },
  async splitSource(input) {
    return { mode: 'copy', count: SHARDS, planUrl: `${input.workUrl}shard-plan.json` };
  },
  async encodeShard(input: EncodeShardInput) {
    const key = `${input.rendition.name}/${input.index}`;
    encodes.set(key, (encodes.get(key) ?? 0) + 1);
    largestShardInput = Math.max(largestShardInput, JSON.stringify(input).length);
    return { frames: 1, reused: false };
  },
  async mergeRendition(input) {
    return `file:///merged/${input.rendition.name}`;
  },
  async verifyRendition(input: VerifyInput) {
    comparedSeams(input.rendition.name, input.seams?.range);
    assert.equal(input.shardFrames, SHARDS, 'every shard reported its frame');
    return { name: input.rendition.name, file: `${input.rendition.name}.mp4`, size: 1, duration: SHARDS, frames: SHARDS };
  },
  async verifySeams(input: VerifySeamsInput) {
    comparedSeams(input.rendition.name, input.seams.range);
    return {};
  },
  async publishOutputs(input) {
    return { manifestUrl: `${input.output}manifest.json`, urls: [] };
  },
};

let env: TestEnv;
before(async () => {
  env = await createTestEnv({ activities: standIns, mediaConcurrency: 200 });
});
after(async () => {
  await env.close();
});

it('orchestrates 5,000 shard tasks in child workflow batches within Temporal limits', { timeout: 600_000 }, async () => {
  const handle = await env.start({ source: 'file:///in.mp4', output: `file://${env.dir}/out/`, renditions: RENDITIONS, segmentSeconds: 1 });
  const result = (await handle.result()) as { shards: number };
  assert.equal(result.shards, SHARDS);
  assert.equal(encodes.size, SHARDS * RENDITIONS.length);
  assert.ok([...encodes.values()].every((n) => n === 1), 'each task ran once');
  assert.ok(largestShardInput < 4096, `one shard task's input stays small (${largestShardInput} bytes)`);

  const parent = await handle.fetchHistory();
  const parentEvents = parent.events ?? [];
  assert.ok(parentEvents.length < 5000, `parent history has ${parentEvents.length} events`);
  const children = parentEvents.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
  const tasks = SHARDS * RENDITIONS.length;
  assert.equal(children.length, Math.ceil(tasks / DEFAULT_BATCH_SIZE), `batches of ${DEFAULT_BATCH_SIZE} tasks`);
  // Progress reaches the parent in about 100 signals for the whole job, plus each batch's last, not one per few tasks.
  const signals = parentEvents.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  assert.ok(signals <= 100 + children.length, `parent got ${signals} progress signals`);
  for (const id of children) {
    const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
    assert.equal(scheduled, DEFAULT_BATCH_SIZE);
    assert.ok(events.length < 51_200 / 5, `${id} has ${events.length} events`);
  }
  // Verify's seams: every one of the 2,499 compared exactly once per rendition, in at most MAX_SEAM_TASKS tasks.
  for (const r of RENDITIONS) {
    const ranges = (seamRanges.get(r) ?? []).sort((a, b) => a.first - b.first);
    assert.ok(ranges.length > 1 && ranges.length <= MAX_SEAM_TASKS, `${r}: ${ranges.length} seam tasks`);
    let next = 0;
    for (const range of ranges) {
      assert.equal(range.first, next, `${r}: seams from ${next} are compared once`);
      next += range.count;
    }
    assert.equal(next, SHARDS - 1, `${r}: every seam compared`);
  }
  // The largest payload in the parent's history is the split plan.
  const biggest = Math.max(...parentEvents.map((e) => JSON.stringify(e).length));
  assert.ok(biggest < 2 * 1024 * 1024 / 4, `largest parent event is ${biggest} bytes`);
});
