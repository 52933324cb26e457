// The CloudFlow video-flow sample (examples/flows/video-flow-cloudflow.yaml,
// in the shape Alibaba publishes it) run unchanged: only ${vars.flowName}
// replaced as a deploy would, its deployed function names mapped to the
// built-ins by a functions map, against the local OSS test server. Every dst
// format, including flv, avi and mov, is checked by ffprobe against a plain
// single-pass encode; extract-audio too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import { Stores } from '../../src/storage/stores';
import { makeClip } from '../support/clips';
import { audioOf, probeFile, videoOf } from '../support/ffprobe';
import { OssServer } from '../support/ossServer';
import { ossFlowStoreEnv, setProcessEnv } from '../support/processEnv';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const EXAMPLE = path.resolve(__dirname, '../../../examples/flows/video-flow-cloudflow.yaml');
const FUNCTIONS_MAP = path.resolve(__dirname, '../../../examples/flows/functions.yaml');
const OSS_KEY = { accessKeyId: 'LTAIflowkey0001', accessKeySecret: 'flow-oss-secret-8c21' };
const BUCKET = 'video-bucket';
const FLOW_NAME = 'video-flow';
const SECONDS = 4;
const FPS = 25;

/** What `s deploy` does to the definition: ${vars.*} replaced, nothing else. */
function deployed(text: string, vars: Record<string, string>): unknown {
  const out = text.replace(/\$\{vars\.(\w+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`no value for \${vars.${name}}`);
    return vars[name];
  });
  return parse(out);
}

/** Expected container, video and audio codec of each dst format. */
const FORMATS: Record<string, { format: RegExp; video: string; audio: string }> = {
  mp4: { format: /mp4/, video: 'h264', audio: 'aac' },
  flv: { format: /^flv$/, video: 'h264', audio: 'aac' },
  avi: { format: /^avi$/, video: 'h264', audio: 'mp3' },
  mov: { format: /mov/, video: 'h264', audio: 'aac' },
  mkv: { format: /matroska/, video: 'h264', audio: 'aac' },
  webm: { format: /webm/, video: 'vp9', audio: 'opus' },
};

describe('the CloudFlow video-flow sample, unchanged, against OSS', { timeout: 600_000 }, () => {
  let oss: OssServer;
  let env: TestEnv;
  let stores: Stores;
  let referenceFrames: number;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    oss = await OssServer.start({ credentials: [OSS_KEY], buckets: [BUCKET] });
    restoreEnv = setProcessEnv({
      ...ossFlowStoreEnv(oss.endpoint, OSS_KEY),
      // The example map: the sample's deployed names (video-flow_split ...) served by the built-ins.
      SHARDFLOW_FLOW_FUNCTIONS_MAP: FUNCTIONS_MAP,
    });
    env = await createTestEnv({ mediaConcurrency: 2 });
    stores = new Stores(env.dir);
    const clip = makeClip({ seconds: SECONDS, fps: FPS, container: 'mov' });
    await stores.copy(`file://${clip}`, `oss://${BUCKET}/source/clip.mov`);
    // The frame count a plain single-pass encode of the source gives.
    const reference = path.join(env.dir, 'reference.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c:v', 'libx264', '-preset', 'ultrafast', '-an', reference]);
    referenceFrames = videoOf(reference).frames!;
  });

  after(async () => {
    await env?.close();
    await oss?.close();
    restoreEnv();
  });

  const run = (definition: unknown, input: unknown) => {
    const args: RunFlowInput = { definition, input };
    return env.client.workflow.execute(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `video-flow-${randomUUID()}`, args: [args] });
  };

  const download = async (key: string): Promise<string> => {
    const file = path.join(env.dir, 'downloaded', key);
    await stores.copy(`oss://${BUCKET}/${key}`, `file://${file}`);
    return file;
  };

  it('split → Map over formats { Map over shards: transcode; merge } → after-process, every format checked by ffprobe', async () => {
    const definition = deployed(readFileSync(EXAMPLE, 'utf8'), { flowName: FLOW_NAME });
    const formats = Object.keys(FORMATS);
    const input = { oss_bucket_name: BUCKET, video_key: 'source/clip.mov', output_prefix: 'outputs', segment_time_seconds: 2, dst_formats: formats };
    const args: RunFlowInput = { definition, input };
    const handle = await env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `video-flow-${randomUUID()}`, args: [args] });
    const output = (await handle.result()) as { Body: { video_proc_dir: string; deleted: number }; StatusCode: number };
    // The last state's output is after-process's FC response.
    assert.equal(output.StatusCode, 200);
    assert.ok(output.Body.deleted > 0, 'after-process removed the work directory');
    // Unique per execution: named by the workflow id and the whole run id (not a time-ordered prefix of it).
    assert.ok(output.Body.video_proc_dir.includes(`/video-proc/${handle.workflowId}.${handle.firstExecutionRunId}.`), output.Body.video_proc_dir);
    for (const f of formats) {
      const key = `outputs/clip/merged_clip.${f}`;
      assert.ok(oss.keys(BUCKET).includes(key), `${key} was written (bucket holds ${oss.keys(BUCKET).join(', ')})`);
      const file = await download(key);
      const facts = probeFile(file);
      const want = FORMATS[f];
      assert.match(facts.format, want.format, `${key}: container ${facts.format}`);
      const video = videoOf(file);
      assert.equal(video.codec, want.video, `${key}: video codec`);
      assert.equal(video.frames, referenceFrames, `${key}: the frames of a single-pass encode`);
      const audio = audioOf(file);
      assert.equal(audio?.codec, want.audio, `${key}: audio codec`);
      assert.ok(audio && audio.frames! > 0, `${key}: audio frames`);
      // MP3 frames (1152 samples) and the encoder's delay make AVI's audio, and so the file, run a little longer.
      const slack = f === 'avi' ? 0.15 : 1 / FPS + 0.05;
      assert.ok(Math.abs(facts.duration - SECONDS) <= slack, `${key} lasts ${facts.duration} s`);
    }
    const left = oss.keys(BUCKET).filter((k) => !k.startsWith('outputs/') && !k.startsWith('source/'));
    assert.deepEqual(left, [], 'nothing else written to the bucket');
  });

  it('extract-audio: the audio track alone as mp3 (the default) and m4a', async () => {
    const call = (name: string, format?: string) => ({
      Name: name,
      Type: 'Task',
      Action: 'FC:InvokeFunction',
      Parameters: {
        resourceArn: 'acs:fc:::functions/extract-audio',
        body: { oss_bucket_name: BUCKET, video_key: 'source/clip.mov', output_prefix: 'audio', ...(format ? { audio_format: format } : {}) },
      },
      OutputConstructor: { 'key.$': '$Output.Body.audio_key', 'mp3.$': '$Output.Body.mp3_key' },
      End: true,
    });
    const definition = {
      Type: 'StateMachine',
      SpecVersion: 'v1',
      StartAt: 'Both',
      States: [{ Name: 'Both', Type: 'Parallel', Branches: [{ StartAt: 'Mp3', States: [call('Mp3')] }, { StartAt: 'M4a', States: [call('M4a', 'm4a')] }], End: true }],
    };
    const out = (await run(definition, {})) as { Branch0: { key: string; mp3: string }; Branch1: { key: string } };
    assert.equal(out.Branch0.key, 'audio/clip.mp3');
    assert.equal(out.Branch0.mp3, 'audio/clip.mp3', 'the sample reads mp3_key');
    assert.equal(out.Branch1.key, 'audio/clip.m4a');
    // 48 kHz: an MP3 frame holds 1152 samples, an AAC frame 1024 (plus the encoder's priming frame or two).
    for (const [key, codec, samplesPerFrame] of [['audio/clip.mp3', 'mp3', 1152], ['audio/clip.m4a', 'aac', 1024]] as const) {
      const facts = probeFile(await download(key));
      assert.deepEqual(facts.streams.map((s) => s.type), ['audio'], `${key}: one audio stream, no video`);
      const audio = facts.streams[0];
      assert.equal(audio.codec, codec);
      assert.ok(Math.abs(audio.duration - SECONDS) <= 0.1, `${key} lasts ${audio.duration} s`);
      const expected = Math.ceil((SECONDS * 48000) / samplesPerFrame);
      assert.ok(audio.frames! >= expected && audio.frames! <= expected + 2, `${key}: ${audio.frames} frames, expected ${expected} to ${expected + 2}`);
    }
  });
});
