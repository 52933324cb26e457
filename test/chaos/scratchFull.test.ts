// The worker's scratch disk (a small tmpfs) filled up during encodes: the
// shards that cannot write fail with a clear reason, the job awaits repair,
// and after space is freed `shardflow retry` completes it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { rootMessage } from '../../src/core/failureMessage';
import type { JobProgress } from '../../src/core/job/progress';
import { progressQuery } from '../../src/core/names';
import { assertCompleteAndClean, baselineJobSeconds, encodeRuns, extraEncodes, reportFigure } from '../support/chaosChecks';
import { chaosJob, startChaosRig, type ChaosRig } from '../support/chaosRig';
import { activityRunning, encodesDone, poll, resultAcrossOutages } from '../support/chaosWaits';
import { cliRunner } from '../support/cliRunner';

let rig: ChaosRig;
let mounted = false;
before(async () => {
  rig = await startChaosRig(7393);
  mkdirSync(rig.config.scratchDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'chaos-scratch', rig.config.scratchDir]);
  mounted = true;
  await rig.startWorker();
});
after(async () => {
  for (const w of rig?.workers ?? []) await w.kill('SIGKILL');
  if (mounted) execFileSync('umount', [rig.config.scratchDir]);
  await rig?.close();
});

it('awaits repair with a clear reason while scratch is full, and a retry completes the job', { timeout: 300_000 }, async () => {
  const baselineSeconds = await baselineJobSeconds(rig);

  const output = path.join(rig.dir, 'out');
  const started = Date.now();
  const handle = await rig.startJob(chaosJob(output));
  const finished = await encodesDone(rig.client, handle.workflowId, 4);
  // Audio is not a shard task: a full disk fails it for good, so the fault lands once it is done.
  await poll('audio done', async () => ((await activityRunning(rig.client, handle.workflowId, 'encodeAudio')) ? undefined : true));
  const filler = path.join(rig.config.scratchDir, 'filler');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
  } catch {
    // dd stops with "No space left on device": the disk is full.
  }
  const faultAt = Date.now();

  const waiting = await poll<JobProgress>('awaiting-repair', async () => {
    const p = await handle.query(progressQuery);
    return ['awaiting-repair', 'failed', 'succeeded'].includes(p.phase) ? p : undefined;
  }, 180, 500);
  const why = waiting.phase === 'failed' ? await handle.result().then(() => '', rootMessage) : JSON.stringify(waiting.renditions);
  assert.equal(waiting.phase, 'awaiting-repair', `the job awaits repair, but: ${why}`);
  const failed = waiting.failedShards ?? [];
  assert.ok(failed.length > 0, 'shards failed while scratch was full');
  for (const f of failed) assert.match(f.error, /no space left on (the )?device/i, `shard ${f.shard} · ${f.rendition}: a clear reason`);

  rmSync(filler);
  const freedAt = Date.now();
  const retried = await cliRunner(rig)(['retry', handle.workflowId]);
  assert.equal(retried.code, 0, retried.stderr);
  const result = await resultAcrossOutages(handle);
  const ended = Date.now();
  await assertCompleteAndClean(rig, handle, result, output);

  const { extra, rerun } = extraEncodes(await encodeRuns(rig.client, handle.workflowId, 1), finished);
  reportFigure({
    scenario: 'scratch tmpfs full during encodes, freed, retry',
    // Includes the time the job awaited repair; "lost" says how much of it was waiting for the operator.
    jobSeconds: (ended - started) / 1000,
    baselineSeconds,
    extraEncodes: extra,
    lost:
      `${failed.length} shard task(s) failed after 5 attempts; space freed ${((freedAt - faultAt) / 1000).toFixed(0)} s after the fault, ` +
      `retry to job end ${((ended - freedAt) / 1000).toFixed(0)} s; ${rerun.length} shard task(s) ran more than once; error: ${failed[0].error}`,
  });
});
