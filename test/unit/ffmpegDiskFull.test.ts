// ffmpeg exits 0 when its output cannot be written to a full disk; runFfmpeg
// must report that as a failure a retry can cure, not let short output through
// to the frame checks (which would blame the source and fail the job for good).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { mediaFailure } from '../../src/activities/activityKit';
import { DiskFullError, runFfmpeg } from '../../src/media/ffmpeg';

/** What runFfmpeg rejects with; undefined when it resolves. */
function rejectionOf(args: string[]): Promise<unknown> {
  return runFfmpeg(args).then(
    () => undefined,
    (e: unknown) => e,
  );
}

it('fails an ffmpeg run that could not write to a full disk, retryably', async () => {
  const err = await rejectionOf(['-f', 'lavfi', '-i', 'testsrc2=duration=1:size=160x120', '-f', 'framecrc', '/dev/full']);
  assert.ok(err instanceof DiskFullError, `rejected with DiskFullError, got ${String(err)}`);
  assert.match(err.message, /no space left on the device/);
  const failure = mediaFailure('encoding shard 1/1 of mp4-360p', err, { url: 'file:///clip.mp4', file: '/clip.mp4' });
  assert.ok(failure instanceof ApplicationFailure);
  assert.equal(failure.type, 'FfmpegFailed');
  assert.notEqual(failure.nonRetryable, true);
});

it('says the same when a write fails while ffmpeg runs and it exits non-zero', async () => {
  // Raw video is written frame by frame, unbuffered: the first frame's write fails and ffmpeg exits 1.
  const err = await rejectionOf(['-f', 'lavfi', '-i', 'testsrc2=duration=1:size=320x240', '-f', 'rawvideo', '/dev/full']);
  assert.ok(err instanceof DiskFullError, `rejected with DiskFullError, got ${String(err)}`);
  assert.notEqual(err.exitCode, 0, 'ffmpeg exited non-zero');
  assert.match(err.message, /no space left on the device; free some space/);
});
