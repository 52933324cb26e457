// Two worker hosts, each in its own network namespace with its own data dir,
// against the cluster of scripts/cluster.sh, with sources, work area and
// outputs in the OSS test server: nothing shared but the network, as across
// machines. Mid-encode one host's link goes down; its shards time out on
// heartbeat and run on the other host, and the link comes back later. Runs
// when SHARDFLOW_CLUSTER_ADDRESS names the cluster and the process is root
// (namespaces and veth pairs need it); skipped otherwise, except that
// SHARDFLOW_CLUSTER_TESTS=1 without a cluster fails.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { RenditionSpec } from '../../src/core/job/rendition';
import { Stores } from '../../src/storage/stores';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { makeClip } from '../support/clips';
import { audioOf, videoOf } from '../support/ffprobe';
import { OssServer, type OssOp } from '../support/ossServer';
import { forwardTcp, type TcpForwarder } from '../support/tcpForwarder';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { hostsDown, hostsUp, isRoot, setLink, type WorkerHost } from '../support/workerHosts';
import { spawnWorker, type WorkerProcess } from '../support/workerProcess';

const CLUSTER = process.env.SHARDFLOW_CLUSTER_ADDRESS;
const asked = process.env.SHARDFLOW_CLUSTER_TESTS === '1';
const runs = !isRoot()
  ? { skip: 'not root: worker hosts are network namespaces with veth pairs (ip netns add, ip link add)' }
  : CLUSTER || asked
    ? {}
    : { skip: 'SHARDFLOW_CLUSTER_ADDRESS is not set: `npm run test:cluster` starts the cluster (scripts/cluster.sh up) and sets it' };

const OSS_KEY = { accessKeyId: 'LTAIhostskey0001', accessKeySecret: 'hosts-oss-secret-5c1d' };
const SECONDS = 20;
const FPS = 25;
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const HEARTBEAT = temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
const WRITES: OssOp[] = ['PutObject', 'CopyObject', 'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload'];

const rendition = (name: string, height: number): RenditionSpec => ({
  name,
  container: 'mp4',
  video: { codec: 'h264', height, crf: 23, preset: 'veryfast' },
  audio: { codec: 'aac', bitrate: '64k' },
});
const RENDITIONS = [rendition('h264-360p', 360), rendition('h264-240p', 240)];

interface Host {
  host: WorkerHost;
  worker: WorkerProcess;
  /** The worker's identity in the history: the SDK's default, `<pid>@<hostname>`; `ip netns exec` keeps the pid. */
  identity: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('worker hosts in network namespaces against the cluster', () => {
  let oss: OssServer;
  let dir: string;
  let stores: Stores;
  let env: TestEnv | undefined;
  const forwarders: TcpForwarder[] = [];
  const hosts: Host[] = [];
  const saved: Record<string, string | undefined> = {};
  let noFaultSeconds: number | undefined;

  before(async () => {
    if (runs.skip) return;
    if (!CLUSTER) throw new Error('SHARDFLOW_CLUSTER_TESTS=1 but SHARDFLOW_CLUSTER_ADDRESS is unset: scripts/test.sh sets it after scripts/cluster.sh up');
    const [clusterHost, clusterPort] = CLUSTER.split(':');
    oss = await OssServer.start({ credentials: [OSS_KEY], buckets: ['media'] });
    const ossPort = Number(new URL(oss.endpoint).port);
    const ossEnv = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: OSS_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: OSS_KEY.accessKeySecret,
      OSS_REGION: 'cn-hangzhou',
      OSS_PATH_STYLE: '1',
    };
    // The test itself reaches OSS on 127.0.0.1, to upload the source and fetch the outputs.
    for (const [k, v] of Object.entries({ ...ossEnv, OSS_ENDPOINT: oss.endpoint })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'worker-hosts-'));
    stores = new Stores(dir);
    await stores.copy(`file://${makeClip({ seconds: SECONDS, fps: FPS, gop: FPS, width: 640, height: 360 })}`, 'oss://media/in/clip.mp4');

    env = await createTestEnv({ noWorkers: true, env: { TEMPORAL_ADDRESS: CLUSTER, TEMPORAL_NAMESPACE: 'default' } });
    for (const host of hostsUp(2)) {
      // The host reaches the cluster and OSS only at its gateway address, through relays to 127.0.0.1.
      forwarders.push(await forwardTcp(host.gateway, Number(clusterPort), clusterHost!, Number(clusterPort)));
      forwarders.push(await forwardTcp(host.gateway, ossPort, '127.0.0.1', ossPort));
      const dataDir = await mkdtemp(path.join(dir, `${host.namespace}-data-`));
      const worker = spawnWorker(
        { ...env.config, dataDir, mediaConcurrency: 1 },
        { ...ossEnv, TEMPORAL_ADDRESS: `${host.gateway}:${clusterPort}`, OSS_ENDPOINT: `http://${host.gateway}:${ossPort}`, SHARDFLOW_WORK_URL: 'oss://media/work/' },
        undefined,
        host.exec,
      );
      hosts.push({ host, worker, identity: `${worker.child.pid}@${os.hostname()}` });
    }
    await Promise.all(hosts.map((h) => h.worker.ready));
  });

  after(async () => {
    for (const h of hosts) await h.worker.kill('SIGKILL');
    for (const f of forwarders) await f.close();
    if (!runs.skip) hostsDown();
    await env?.close();
    await oss?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (output: string): Promise<WorkflowHandle> => env!.start({ source: 'oss://media/in/clip.mp4', output, renditions: RENDITIONS, segmentSeconds: 2 });

  /** Every rendition at the output holds every frame of the clip, video and audio as long as it; nothing else is there. */
  const checkOutput = async (output: string): Promise<void> => {
    const prefix = output.slice('oss://media/'.length);
    const names = RENDITIONS.map((r) => `${r.name}.mp4`);
    assert.deepEqual(oss.keys('media').filter((k) => k.startsWith(prefix)), [`${prefix}manifest.json`, ...names.map((n) => `${prefix}${n}`)].sort(), 'only whole outputs at the output prefix');
    const fetched = await mkdtemp(path.join(dir, 'fetched-'));
    for (const name of names) {
      const file = await stores.for(output).localPath(`${output}${name}`, fetched);
      const video = videoOf(file);
      assert.equal(video.frames, SECONDS * FPS, `${name}: decoded frames`);
      assert.ok(Math.abs(video.duration - SECONDS) <= 1 / FPS + 0.002, `${name}: video lasts ${video.duration} s`);
      const audio = audioOf(file);
      assert.ok(audio && Math.abs(audio.duration - SECONDS) < 0.05, `${name}: audio lasts ${audio?.duration} s`);
    }
    // The manifest is the job's last write at the output and is written once.
    const writes = oss.requests.filter((r) => r.bucket === 'media' && r.key.startsWith(prefix) && WRITES.includes(r.op as OssOp) && r.status === 200);
    assert.equal(writes.filter((r) => r.key === `${prefix}manifest.json`).length, 1, 'manifest.json written once');
    assert.equal(writes.at(-1)?.key, `${prefix}manifest.json`, 'manifest.json written last');
  };

  it('runs a job across both hosts (the no-fault time)', { ...runs, timeout: 120_000 }, async () => {
    const began = Date.now();
    const handle = await start('oss://media/jobs/no-fault/');
    const result = (await handle.result()) as TranscodeResult;
    noFaultSeconds = (Date.now() - began) / 1000;
    assert.equal(result.shards, SECONDS / 2);
    await checkOutput('oss://media/jobs/no-fault/');
    const identities = new Set((await shardStarts(handle)).map((s) => s.identity));
    assert.deepEqual([...identities].sort(), hosts.map((h) => h.identity).sort(), 'both hosts encoded shards');
    console.log(`worker hosts: no-fault job ${noFaultSeconds.toFixed(1)} s`);
  });

  it('finishes a job whose host is cut off mid-encode: its shards time out on heartbeat and run on the other host', { ...runs, timeout: 180_000 }, async () => {
    const [cut, other] = hosts as [Host, Host];
    const began = Date.now();
    const handle = await start('oss://media/jobs/cut/');

    // Wait until some shards are done and the host to be cut is encoding one.
    let batches: string[] = [];
    for (let i = 0; ; i++) {
      assert.ok(i < 1200, 'caught the host to be cut mid-encode');
      batches = ((await handle.describe()).raw.pendingChildren ?? []).map((c) => c.workflowId!);
      const completed = (await Promise.all(batches.map((b) => completedShards(env!.client.workflow.getHandle(b))))).flat();
      const running = (await Promise.all(batches.map((b) => runningOn(env!.client.workflow.getHandle(b), cut.identity)))).flat();
      if (completed.length >= 2 && running.length > 0) break;
      await sleep(100);
    }
    setLink(cut.host, 'down');
    const cutAt = Date.now();
    const batchHandles = batches.map((b) => env!.client.workflow.getHandle(b));
    const doneBeforeCut = (await Promise.all(batchHandles.map(completedShards))).flat();
    const inFlightOnCut = (await Promise.all(batchHandles.map((b) => runningOn(b, cut.identity)))).flat();
    assert.ok(inFlightOnCut.length > 0, 'a shard was in flight on the cut host');

    // The link comes back once the cut host's shards are done elsewhere (or the job ends first).
    const outcome = handle.result() as Promise<TranscodeResult>;
    let ended = false;
    void outcome.finally(() => (ended = true)).catch(() => undefined);
    while (!ended) {
      const completed = new Set((await Promise.all(batchHandles.map(completedShards))).flat());
      if (inFlightOnCut.every((id) => completed.has(id))) break;
      await sleep(250);
    }
    setLink(cut.host, 'up');
    const restoredAt = Date.now();
    const result = await outcome;
    const endedAt = Date.now();
    assert.equal(result.shards, SECONDS / 2);
    await checkOutput('oss://media/jobs/cut/');

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
    const leftInWorkArea = oss.keys('media').filter((k) => k.startsWith('work/'));
    const jobSeconds = (endedAt - began) / 1000;
    console.log(
      `worker hosts: cut ${inFlightOnCut.join(', ')} on ${cut.host.namespace} after ${((cutAt - began) / 1000).toFixed(1)} s (${doneBeforeCut.length} shard tasks done); ` +
        `link back after ${((restoredAt - cutAt) / 1000).toFixed(1)} s; job ${jobSeconds.toFixed(1)} s, cut to end ${((endedAt - cutAt) / 1000).toFixed(1)} s` +
        (noFaultSeconds ? `, recovery (job minus the no-fault job) ${(jobSeconds - noFaultSeconds).toFixed(1)} s` : '') +
        `; left in the work area: ${leftInWorkArea.length ? leftInWorkArea.join(', ') : 'nothing'}`,
    );
  });
});

interface ShardStart {
  activityId: string;
  identity: string;
  attempt: number;
  lastFailureTimeout?: number | null;
}

/** Every encodeShard activity of the job's shard batches as its history records it: one row per scheduled event. */
async function shardStarts(handle: WorkflowHandle): Promise<ShardStart[]> {
  const parent = (await handle.fetchHistory()).events ?? [];
  const batches = parent.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId).filter((id): id is string => !!id);
  const rows: ShardStart[] = [];
  for (const batch of batches) {
    const events = (await handle.client.getHandle(batch).fetchHistory()).events ?? [];
    const scheduled = new Map<string, ShardStart>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'encodeShard') {
        const row: ShardStart = { activityId: s.activityId!, identity: '', attempt: 0 };
        scheduled.set(String(e.eventId), row);
        rows.push(row);
      }
      const started = e.activityTaskStartedEventAttributes;
      const row = started && scheduled.get(String(started.scheduledEventId));
      if (row) {
        row.identity = started.identity ?? '';
        row.attempt = started.attempt ?? 1;
        row.lastFailureTimeout = started.lastFailure?.timeoutFailureInfo?.timeoutType;
      }
    }
  }
  return rows;
}

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
