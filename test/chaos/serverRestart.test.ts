// The dev server SIGKILLed mid-encode and started again on the same database
// file: the job completes, and shards finished before the kill stay done.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { assertCompleteAndClean, baselineJobSeconds, encodeRuns, extraEncodes, reportFigure } from '../support/chaosChecks';
import { chaosJob, startChaosRig, type ChaosRig } from '../support/chaosRig';
import { encodesDone, resultAcrossOutages } from '../support/chaosWaits';

let rig: ChaosRig;
before(async () => {
  rig = await startChaosRig(7391);
  await rig.startWorker();
});
after(async () => {
  await rig?.close();
});

it('completes a job across a SIGKILLed and restarted dev server', { timeout: 300_000 }, async () => {
  const baselineSeconds = await baselineJobSeconds(rig);

  const output = path.join(rig.dir, 'out');
  const started = Date.now();
  const handle = await rig.startJob(chaosJob(output));
  const finished = await encodesDone(rig.client, handle.workflowId, 4);
  const faultAt = Date.now();
  await rig.killServer();
  await rig.restartServer();
  const restartedAt = Date.now();
  const result = await resultAcrossOutages(handle);
  const ended = Date.now();

  await assertCompleteAndClean(rig, handle, result, output);
  const { extra, rerun } = extraEncodes(await encodeRuns(rig.client, handle.workflowId), finished);
  assert.ok(extra <= 4, `at most the in-flight encodes ran again (${rerun})`);
  reportFigure({
    scenario: 'dev server SIGKILL mid-encode, restarted',
    recoverySeconds: (ended - started) / 1000 - baselineSeconds,
    extraEncodes: extra,
    lost: `server down ${((restartedAt - faultAt) / 1000).toFixed(1)} s; re-encoded: ${rerun.join(', ') || 'none'}`,
  });
});
