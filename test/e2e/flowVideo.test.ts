// The video-processing sample's flow definitions, CloudFlow and FDL, run
// unchanged by the runFlow workflow on a real dev server, with the built-in
// functions on a real clip in the local flow store; outputs checked by ffprobe.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { parse } from 'yaml';
import { RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import { makeClip } from '../support/clips';
import { innermostApplicationFailure } from '../support/failures';
import { audioOf, probeFile, videoOf } from '../support/ffprobe';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const EXAMPLES = path.resolve(__dirname, '../../../examples/flows');
const FPS = 25;
const SECONDS = 6;
const BUCKET = 'flow-bucket';

/** The sample's flow input for the test clip. */
function sampleInput(outputPrefix: string): Record<string, unknown> {
  return { oss_bucket_name: BUCKET, video_key: 'videos/clip.mp4', output_prefix: outputPrefix, segment_time_seconds: 2 };
}

function failureOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => assert.fail('expected the flow to fail'),
    (e: unknown) => e,
  );
}

function definition(name: string): unknown {
  return parse(readFileSync(path.join(EXAMPLES, name), 'utf8'));
}

describe('flow definitions of the video-processing sample, end to end', () => {
  let env: TestEnv;

  before(async () => {
    env = await createTestEnv();
    const videos = path.join(env.config.localStoreRoot, BUCKET, 'videos');
    mkdirSync(videos, { recursive: true });
    copyFileSync(makeClip({ seconds: SECONDS, fps: FPS, gop: FPS }), path.join(videos, 'clip.mp4'));
    writeFileSync(path.join(videos, 'junk.mp4'), Buffer.alloc(2048, 1));
  });

  after(async () => {
    await env?.close();
  });

  const run = (file: string, input: Record<string, unknown>) => {
    const args: RunFlowInput = { definition: definition(file), input };
    return env.client.workflow.execute(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `flow-${file}-${Date.now()}`, args: [args] });
  };

  const checkOutput = (key: string) => checkFile(path.join(env.config.localStoreRoot, BUCKET, key), key);
  const checkFile = (file: string, key: string) => {
    assert.ok(existsSync(file), `${key} was written`);
    assert.equal(videoOf(file).frames, SECONDS * FPS, `${key}: the frames of a single-pass encode`);
    assert.ok(Math.abs(probeFile(file).duration - SECONDS) <= 1 / FPS + 0.05, `${key} lasts ${probeFile(file).duration} s`);
    const audio = audioOf(file);
    assert.ok(audio && Math.abs(audio.duration - SECONDS) < 0.1, `${key}: audio over the whole clip`);
  };

  const workDirsLeft = () => {
    const root = path.join(env.dir, 'work', 'video-proc');
    return existsSync(root) ? readdirSync(root) : [];
  };

  it('CloudFlow: split → Map transcode → Map merge → after-process', async () => {
    const output = (await run('video-cloudflow.yaml', { ...sampleInput('cloudflow'), dst_formats: ['mp4', 'webm'] })) as { outputs: Record<string, string>[] };
    assert.deepEqual(
      output.outputs.map((o) => o.output_key),
      ['cloudflow/clip/merged_clip.mp4', 'cloudflow/clip/merged_clip.webm'],
    );
    checkOutput('cloudflow/clip/merged_clip.mp4');
    checkOutput('cloudflow/clip/merged_clip.webm');
    assert.deepEqual(workDirsLeft(), [], 'after-process removed the work directory');
  });

  it('FDL: split → foreach format { foreach shard: transcode; merge } → after-process', async () => {
    await run('video-fdl.yaml', { ...sampleInput('fdl'), dst_formats: ['mp4', 'mkv', 'm3u8'] });
    checkOutput('fdl/clip/merged_clip.mp4');
    checkOutput('fdl/clip/merged_clip.mkv');
    // m3u8: an HLS VOD playlist beside the files, read through the playlist as a player would.
    // Stream durations come from the container, so the playlist is played into one MP4 first.
    const folder = path.join(env.config.localStoreRoot, BUCKET, 'fdl/clip');
    const played = path.join(env.dir, 'played-hls.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(folder, 'merged_clip.m3u8'), '-c', 'copy', played]);
    checkFile(played, 'fdl/clip/merged_clip.m3u8');
    const playlist = readFileSync(path.join(folder, 'merged_clip.m3u8'), 'utf8');
    const segments = readdirSync(folder).filter((f) => f.endsWith('.ts')).sort();
    assert.ok(segments.length >= 2, `a ${SECONDS} s clip in 4 s segments: ${segments.join(', ')}`);
    assert.deepEqual(playlist.split('\n').filter((l) => l.endsWith('.ts')), segments, 'the playlist names every segment, in order');
    assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD[\s\S]*#EXT-X-ENDLIST/);
    assert.deepEqual(workDirsLeft(), []);
  });

  it('a failing transcode is caught: the work directory is removed and the flow fails', async () => {
    // The worker reads failpoints on every call: shard 2 fails as a storage fault would.
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2';
    try {
      const err = await failureOf(run('video-cloudflow.yaml', { ...sampleInput('failing'), dst_formats: ['mp4'] }));
      assert.equal(innermostApplicationFailure(err)?.type, 'TranscodeFailed');
    } finally {
      delete process.env.SHARDFLOW_FAILPOINTS;
    }
    assert.deepEqual(workDirsLeft(), [], 'the Catch ran after-process');
    assert.ok(!existsSync(path.join(env.config.localStoreRoot, BUCKET, 'failing')), 'nothing published');
  });

  it('a source that is not a video fails the flow with InvalidMedia', async () => {
    const err = await failureOf(run('video-cloudflow.yaml', { ...sampleInput('junk'), video_key: 'videos/junk.mp4', dst_formats: ['mp4'] }));
    assert.ok(err instanceof WorkflowFailedError);
    const failure = innermostApplicationFailure(err);
    assert.equal(failure?.type, 'InvalidMedia');
    assert.match(failure?.message ?? '', /junk\.mp4 is not a usable video/);
    assert.deepEqual(workDirsLeft(), []);
  });
});
