// Twenty jobs at once (CHAOS_JOBS) across two worker processes, then a rolling
// restart (each worker SIGTERMed and started again, one after the other):
// every job completes, with every frame.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { assertCompleteAndClean, encodeRuns, extraEncodes, MEASURE_BASELINE, reportFigure } from '../support/chaosChecks';
import { chaosClip, chaosJob, SHARD_TASKS, startChaosRig, type ChaosRig } from '../support/chaosRig';
import { poll, resultAcrossOutages } from '../support/chaosWaits';
import { completedActivityIds } from '../support/history';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';

const JOBS = Number(process.env.CHAOS_JOBS || 20);
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error(`CHAOS_JOBS is "${process.env.CHAOS_JOBS}": it must be a whole number of jobs, at least 1`);

let rig: ChaosRig;
before(async () => {
  rig = await startChaosRig(7394);
  await Promise.all([rig.startWorker(), rig.startWorker()]);
});
after(async () => {
  await rig?.close();
});

/** Starts the jobs together; resolves with their handles and outputs. */
async function startJobs(label: string): Promise<{ handle: WorkflowHandle; output: string }[]> {
  const source = chaosClip();
  return Promise.all(
    Array.from({ length: JOBS }, async (_, i) => {
      const output = path.join(rig.dir, `${label}-${i}`);
      return { handle: await rig.startJob(chaosJob(output, source)), output };
    }),
  );
}

async function finishAll(jobs: { handle: WorkflowHandle; output: string }[]): Promise<void> {
  const results: TranscodeResult[] = await Promise.all(jobs.map((j) => resultAcrossOutages(j.handle, 600)));
  for (const [i, j] of jobs.entries()) await assertCompleteAndClean(rig, j.handle, results[i], j.output);
}

it(`completes ${JOBS} jobs across a rolling restart of both workers`, { timeout: 900_000 }, async () => {
  let baselineSeconds: number | undefined;
  if (MEASURE_BASELINE) {
    const t0 = Date.now();
    await finishAll(await startJobs('baseline'));
    baselineSeconds = (Date.now() - t0) / 1000;
  }

  const started = Date.now();
  const jobs = await startJobs('out');
  // Encodes finished so far per job; a job still waiting for its turn has no batch workflow yet.
  const doneSoFar = (): Promise<string[][]> =>
    Promise.all(jobs.map((j) => completedActivityIds(rig.client, `${j.handle.workflowId}.shards-0`, 'encodeShard').catch(() => [] as string[])));
  // A quarter of all encodes done: the restart lands mid-run.
  await poll('a quarter of the encodes', async () => ((await doneSoFar()).flat().length >= (JOBS * SHARD_TASKS) / 4 ? true : undefined), 300, 500);
  const finished = await doneSoFar();
  const faultAt = Date.now();
  for (const old of [...rig.workers]) {
    await old.kill('SIGTERM');
    await rig.startWorker();
  }
  const restartSeconds = (Date.now() - faultAt) / 1000;
  await finishAll(jobs);
  const ended = Date.now();

  let extra = 0;
  const rerun: string[] = [];
  for (const [i, j] of jobs.entries()) {
    const r = extraEncodes(await encodeRuns(rig.client, j.handle.workflowId), finished[i]);
    extra += r.extra;
    rerun.push(...r.rerun);
  }
  assert.equal(rig.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length, 2, 'two workers run after the restart');
  reportFigure({
    scenario: `${JOBS} jobs, rolling SIGTERM restart of 2 workers`,
    jobSeconds: (ended - started) / 1000,
    baselineSeconds,
    extraEncodes: extra,
    lost: `restart took ${restartSeconds.toFixed(1)} s; ${rerun.length} shard task(s) encoded again (in flight at SIGTERM)`,
  });
});
