// A hundred jobs (CHAOS_HOST_JOBS) submitted at once to three worker hosts,
// then a deploy mid-run: each host's worker SIGTERMed, drained and started
// again, one host after the other. Every job completes with every frame,
// published once, and no shard that finished before the deploy is encoded
// again. Hosts are network namespaces sharing nothing but the network
// (test/support/hostRig.ts), reaching the target's Temporal over it.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { encodeRuns, extraEncodes, reportFigure } from '../support/chaosChecks';
import { startChaosRig, type ChaosRig } from '../support/chaosRig';
import { chaosFirstHost } from '../support/chaosTargets';
import { poll, resultAcrossOutages } from '../support/chaosWaits';
import { completedActivityIds } from '../support/history';
import { hostRendition, hostsRuns as runs, shardStarts, startHostRig, type HostRig } from '../support/hostRig';

const JOBS = Number(process.env.CHAOS_HOST_JOBS || 100);
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error(`CHAOS_HOST_JOBS is "${process.env.CHAOS_HOST_JOBS}": it must be a whole number of jobs, at least 1`);
const HOSTS = 3;
// Short and small: the scenario is about many jobs and the deploy, not about encoding.
const CLIP = { seconds: 6, fps: 25, width: 320, height: 180 };
const RENDITIONS = [hostRendition('h264-180p', 180), hostRendition('h264-120p', 120)];
const SHARD_TASKS = (CLIP.seconds / 2) * RENDITIONS.length;


/** Only for its Temporal: a dev server of its own, or the cluster. */
let target: ChaosRig | undefined;
let rig: HostRig | undefined;
before(async () => {
  if (runs.skip) return;
  target = await startChaosRig(7395);
  rig = await startHostRig({ hosts: HOSTS, clip: CLIP, renditions: RENDITIONS, temporalAddress: target.config.temporalAddress, firstHost: chaosFirstHost() });
});
after(async () => {
  await rig?.close();
  await target?.close();
});

it(`completes ${JOBS} jobs on ${HOSTS} worker hosts across a rolling deploy`, { ...runs, timeout: 1_800_000 }, async () => {
  const r = rig!;
  const started = Date.now();
  const jobs: { handle: WorkflowHandle; output: string }[] = await Promise.all(
    Array.from({ length: JOBS }, async (_, i) => {
      const output = `oss://media/deploy/${i}/`;
      return { handle: await r.start(output), output };
    }),
  );
  const doneSoFar = (): Promise<string[][]> =>
    Promise.all(jobs.map((j) => completedActivityIds(r.env.client, `${j.handle.workflowId}.shards-0`, 'encodeShard').catch(() => [] as string[])));
  // A quarter of all encodes done: the deploy lands mid-run.
  await poll('a quarter of the encodes', async () => ((await doneSoFar()).flat().length >= (JOBS * SHARD_TASKS) / 4 ? true : undefined), 900, 2000);
  const finished = await doneSoFar();
  const before = r.hosts.map((h) => h.identity);

  const deployAt = Date.now();
  for (const h of r.hosts) await r.restartWorker(h, 'SIGTERM');
  const deploySeconds = (Date.now() - deployAt) / 1000;

  const results = await Promise.all(jobs.map((j) => resultAcrossOutages(j.handle, 1500)));
  const ended = Date.now();
  for (const [i, j] of jobs.entries()) {
    assert.equal(results[i]!.shards, CLIP.seconds / 2, `${j.handle.workflowId}: shards`);
    await r.checkOutput(j.output);
  }

  let extra = 0;
  const rerun: string[] = [];
  for (const [i, j] of jobs.entries()) {
    const e = extraEncodes(await encodeRuns(r.env.client, j.handle.workflowId), finished[i]!);
    extra += e.extra;
    rerun.push(...e.rerun);
  }
  // Every host took part before the deploy, and every restarted worker after it.
  const identities = new Set((await Promise.all(jobs.map((j) => shardStarts(j.handle)))).flat().map((s) => s.identity));
  for (const id of [...before, ...r.hosts.map((h) => h.identity)]) assert.ok(identities.has(id), `worker ${id} encoded shards`);
  assert.deepEqual(r.oss.keys('media').filter((k) => k.startsWith('work/')), [], 'every job removed its work area');
  assert.deepEqual(r.scratchLeft(), [], 'no scratch folder left on any host');
  for (const h of r.hosts) assert.equal(h.worker.child.exitCode, null, `${h.host.namespace}: the deployed worker runs:\n${h.worker.output()}`);

  reportFigure({
    scenario: `${JOBS} jobs on ${HOSTS} worker hosts, rolling SIGTERM deploy`,
    jobSeconds: (ended - started) / 1000,
    baselineSeconds: undefined,
    extraEncodes: extra,
    lost: `deploy took ${deploySeconds.toFixed(1)} s, ${((deployAt - started) / 1000).toFixed(1)} s in; ${rerun.length} shard task(s) encoded again`,
  });
});
