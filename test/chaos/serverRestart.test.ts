// The Temporal service itself failing mid-encode: its server process SIGKILLed
// and started again on the same database (the dev server, or the cluster's
// Temporal server), and on the cluster its PostgreSQL restarted. The job
// completes, and shards finished before the fault stay done.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { assertCompleteAndClean, baselineJobSeconds, encodeRuns, extraEncodes, reportFigure } from '../support/chaosChecks';
import { chaosJob, startChaosRig, type ChaosRig } from '../support/chaosRig';
import { encodesDone, poll, resultAcrossOutages } from '../support/chaosWaits';

let rig: ChaosRig;
let baselineSeconds: number | undefined;
before(async () => {
  rig = await startChaosRig(7391);
  await rig.startWorker();
  baselineSeconds = await baselineJobSeconds(rig);
});
after(async () => {
  await rig?.close();
});

/** Runs the chaos job, applies `fault` once 4 encodes are done, and checks and reports the outcome. */
async function survives(scenario: string, fault: () => Promise<void>): Promise<void> {
  const output = path.join(rig.dir, `out-${scenario.replace(/\W+/g, '-')}`);
  const started = Date.now();
  const handle = await rig.startJob(chaosJob(output));
  const finished = await encodesDone(rig.client, handle.workflowId, 4);
  const faultAt = Date.now();
  await fault();
  const restartedAt = Date.now();
  // The fault fell inside the job, not after it.
  const status = await poll('the job described after the fault', async () => (await handle.describe()).status.name, 30, 200);
  assert.equal(status, 'RUNNING', `${handle.workflowId} still runs after the fault`);
  const result = await resultAcrossOutages(handle);
  const ended = Date.now();

  await assertCompleteAndClean(rig, handle, result, output);
  const { extra, rerun } = extraEncodes(await encodeRuns(rig.client, handle.workflowId), finished);
  assert.ok(extra <= 4, `at most the in-flight encodes ran again (${rerun})`);
  reportFigure({
    scenario,
    jobSeconds: (ended - started) / 1000,
    baselineSeconds,
    extraEncodes: extra,
    lost: `down ${((restartedAt - faultAt) / 1000).toFixed(1)} s; re-encoded: ${rerun.join(', ') || 'none'}`,
  });
}

it('completes a job across a SIGKILLed and restarted Temporal server', { timeout: 300_000 }, async () => {
  await survives('Temporal server SIGKILL mid-encode, restarted', () => rig.killAndRestartServer());
});

it('completes a job across a PostgreSQL restart', { timeout: 300_000 }, async (t) => {
  const restartDatabase = rig.restartDatabase;
  // The dev server keeps its SQLite database inside its own process: the server kill above covers it.
  if (!restartDatabase) return t.skip('CHAOS_TARGET=devserver: the dev server has no database of its own to restart');
  await survives('PostgreSQL restart mid-encode', () => restartDatabase());
});
