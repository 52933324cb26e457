// Two worker hosts, each in its own network namespace with its own data dir,
// against the target CHAOS_TARGET names (a dev server of its own, or the
// cluster of scripts/cluster.sh), with sources, work area and outputs in the
// OSS test server: nothing shared but the network, as across machines.
// Mid-encode one host's link goes down; its shards time out on heartbeat and
// run on the other host, and the link comes back later. Needs root
// (namespaces and veth pairs); skipped otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { reportFigure } from '../support/chaosChecks';
import { startChaosRig, type ChaosRig } from '../support/chaosRig';
import { poll } from '../support/chaosWaits';
import { chaosFirstHost } from '../support/chaosTargets';
import { hostRendition, hostsRuns as runs, shardStarts, startHostRig, type Host, type HostRig, type ShardStart } from '../support/hostRig';
import { setLink } from '../support/workerHosts';

const SECONDS = 20;
const FPS = 25;
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const HEARTBEAT = temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
const RENDITIONS = [hostRendition('h264-360p', 360), hostRendition('h264-240p', 240)];


describe('worker hosts in network namespaces, one cut off mid-encode', () => {
  /** Only for its Temporal: a dev server of its own, or the cluster. */
  let target: ChaosRig | undefined;
  let rig: HostRig | undefined;
  let noFaultSeconds: number | undefined;

  before(async () => {
    if (runs.skip) return;
    target = await startChaosRig(7396);
    rig = await startHostRig({
      hosts: 2,
      clip: { seconds: SECONDS, fps: FPS, width: 640, height: 360 },
      renditions: RENDITIONS,
      temporalAddress: target.config.temporalAddress,
      firstHost: chaosFirstHost(),
    });
  });

  after(async () => {
    await rig?.close();
    await target?.close();
  });

  it('runs a job across both hosts (the no-fault time)', { ...runs, timeout: 120_000 }, async () => {
    const began = Date.now();
    const handle = await rig!.start('oss://media/jobs/no-fault/');
    const result = (await handle.result()) as TranscodeResult;
    noFaultSeconds = (Date.now() - began) / 1000;
    assert.equal(result.shards, SECONDS / 2);
    await rig!.checkOutput('oss://media/jobs/no-fault/');
    const identities = new Set((await shardStarts(handle)).map((s) => s.identity));
    assert.deepEqual([...identities].sort(), rig!.hosts.map((h) => h.identity).sort(), 'both hosts encoded shards');
    console.log(`worker hosts: no-fault job ${noFaultSeconds.toFixed(1)} s`);
  });

  it('finishes a job whose host is cut off mid-encode: its shards time out on heartbeat and run on the other host', { ...runs, timeout: 180_000 }, async () => {
    const [cut, other] = rig!.hosts as [Host, Host];
    const began = Date.now();
    const handle = await rig!.start('oss://media/jobs/cut/');

    // Wait until some shards are done and the host to be cut is encoding one. The parent lists a batch as a
    // pending child before the server has created it (on a loaded cluster, for seconds): until then its reads
    // fail with NOT_FOUND, which poll() takes as "not yet".
    const batches = await poll('the host to be cut mid-encode', async () => {
      const listed = ((await handle.describe()).raw.pendingChildren ?? []).map((c) => c.workflowId!);
      const completed = (await Promise.all(listed.map((b) => completedShards(rig!.env.client.workflow.getHandle(b))))).flat();
      const running = (await Promise.all(listed.map((b) => runningOn(rig!.env.client.workflow.getHandle(b), cut.identity)))).flat();
      return completed.length >= 2 && running.length > 0 ? listed : undefined;
    }, 120, 100);
    setLink(cut.host, 'down');
    const cutAt = Date.now();
    const batchHandles = batches.map((b) => rig!.env.client.workflow.getHandle(b));
    const doneBeforeCut = (await Promise.all(batchHandles.map(completedShards))).flat();
    const inFlightOnCut = (await Promise.all(batchHandles.map((b) => runningOn(b, cut.identity)))).flat();
    assert.ok(inFlightOnCut.length > 0, 'a shard was in flight on the cut host');

    // The link comes back once the cut host's shards are done elsewhere (or the job ends first).
    const outcome = handle.result() as Promise<TranscodeResult>;
    let ended = false;
    void outcome.finally(() => (ended = true)).catch(() => undefined);
    await poll("the cut host's shards done elsewhere, or the job's end", async () => {
      if (ended) return true;
      const completed = new Set((await Promise.all(batchHandles.map(completedShards))).flat());
      return inFlightOnCut.every((id) => completed.has(id)) || undefined;
    }, 1500, 250);
    setLink(cut.host, 'up');
    const restoredAt = Date.now();
    const result = await outcome;
    const endedAt = Date.now();
    assert.equal(result.shards, SECONDS / 2);
    await rig!.checkOutput('oss://media/jobs/cut/');

    const starts = await shardStarts(handle);
    const byId = new Map<string, ShardStart[]>();
    for (const s of starts) byId.set(s.activityId, [...(byId.get(s.activityId) ?? []), s]);
    assert.equal(byId.size, (SECONDS / 2) * RENDITIONS.length, 'one activity per shard and rendition');
    for (const id of doneBeforeCut) {
      const runsOf = byId.get(id)!;
      assert.equal(runsOf.length, 1, `${id} finished before the cut and was scheduled once`);
      assert.equal(runsOf[0]!.attempt, 1, `${id} finished before the cut and was not encoded again`);
    }
    for (const id of inFlightOnCut) {
      const last = byId.get(id)!.at(-1)!;
      assert.equal(last.identity, other.identity, `${id} was in flight on the cut host and finished on the other`);
      assert.ok(last.attempt >= 2, `${id}: attempt ${last.attempt}`);
      assert.equal(last.lastFailureTimeout, HEARTBEAT, `${id} was given up on for its missing heartbeats`);
    }
    // The cut-off worker rode out the outage: it is still running, to serve later jobs.
    assert.equal(cut.worker.child.exitCode, null, `the cut-off worker is still running:\n${cut.worker.output()}`);
    const leftInWorkArea = rig!.oss.keys('media').filter((k) => k.startsWith('work/'));
    const jobSeconds = (endedAt - began) / 1000;
    console.log(
      `worker hosts: cut ${inFlightOnCut.join(', ')} on ${cut.host.namespace} after ${((cutAt - began) / 1000).toFixed(1)} s (${doneBeforeCut.length} shard tasks done); ` +
        `link back after ${((restoredAt - cutAt) / 1000).toFixed(1)} s; job ${jobSeconds.toFixed(1)} s, cut to end ${((endedAt - cutAt) / 1000).toFixed(1)} s` +
        (noFaultSeconds ? `, recovery (job minus the no-fault job) ${(jobSeconds - noFaultSeconds).toFixed(1)} s` : '') +
        `; left in the work area: ${leftInWorkArea.length ? leftInWorkArea.join(', ') : 'nothing'}`,
    );
    reportFigure({
      scenario: 'a worker host cut off the network mid-encode (link down), back once its shards ran on the other host',
      jobSeconds,
      baselineSeconds: noFaultSeconds,
      extraEncodes: [...byId.values()].reduce((n, runsOf) => n + runsOf.at(-1)!.attempt - 1, 0),
      lost: `the ${inFlightOnCut.length} encode(s) in flight on the cut host, run again on the other after the heartbeat timeout; link back after ${((restoredAt - cutAt) / 1000).toFixed(1)} s`,
    });
  });
});

/** The shard activity ids a batch has completed. */
async function completedShards(batch: WorkflowHandle): Promise<string[]> {
  const events = (await batch.fetchHistory()).events ?? [];
  const ids = new Map<string, string>();
  const done: string[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) ids.set(String(e.eventId), s.activityId!);
    const c = e.activityTaskCompletedEventAttributes;
    if (c) done.push(ids.get(String(c.scheduledEventId))!);
  }
  return done;
}

/** The shard activities a batch has running on the worker with this identity. */
async function runningOn(batch: WorkflowHandle, identity: string): Promise<string[]> {
  const pending = (await batch.describe()).raw.pendingActivities ?? [];
  return pending.filter((a) => a.state === STARTED && a.lastWorkerIdentity === identity).map((a) => a.activityId!);
}
