// Worker hosts against a Temporal frontend (a chaos target's), sharing
// nothing but the network: each host a network namespace (workerHosts.ts) with its own
// data dir, one worker process on each, and sources, work area and outputs in
// the OSS test server. The chaos suite's host scenarios (test/chaos/hostCut.test.ts,
// hostsDeploy.test.ts) build on it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { RenditionSpec } from '../../src/core/job/rendition';
import { Stores } from '../../src/storage/stores';
import { makeClip } from './clips';
import { audioOf, videoOf } from './ffprobe';
import { OssServer, type OssOp } from './ossServer';
import { forwardTcp, type TcpForwarder } from './tcpForwarder';
import { createTestEnv, type TestEnv } from './testEnv';
import { hostsDown, hostsUp, isRoot, type WorkerHost } from './workerHosts';
import { spawnWorker, type WorkerProcess } from './workerProcess';

/** `it` options: skipped unless root, as hosts are network namespaces with veth pairs. */
export const hostsRuns: { skip?: string } = isRoot() ? {} : { skip: 'not root: worker hosts are network namespaces with veth pairs (ip netns add, ip link add)' };

const OSS_KEY = { accessKeyId: 'LTAIhostskey0001', accessKeySecret: 'hosts-oss-secret-5c1d' };
const WRITES: OssOp[] = ['PutObject', 'CopyObject', 'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload'];

export const hostRendition = (name: string, height: number): RenditionSpec => ({
  name,
  container: 'mp4',
  video: { codec: 'h264', height, crf: 23, preset: 'veryfast' },
  audio: { codec: 'aac', bitrate: '64k' },
});

export interface HostRigOptions {
  hosts: number;
  /** The source clip, made once and uploaded to oss://media/in/clip.mp4. */
  clip: { seconds: number; fps: number; width: number; height: number };
  renditions: RenditionSpec[];
  /** host:port of the Temporal frontend, on this machine. */
  temporalAddress: string;
  /** The first host's index (workerHosts.ts): rigs side by side use ranges of their own. */
  firstHost: number;
}

export interface Host {
  host: WorkerHost;
  worker: WorkerProcess;
  /** The worker's identity in the history: the SDK's default, `<pid>@<hostname>`; `ip netns exec` keeps the pid. */
  identity: string;
  dataDir: string;
}

export interface HostRig {
  oss: OssServer;
  dir: string;
  env: TestEnv;
  hosts: Host[];
  /** Starts a job on the clip with 2 s shards, its outputs at `output` (an oss:// prefix). */
  start(output: string): Promise<WorkflowHandle>;
  /** Every rendition at `output` holds every frame of the clip, audio as long; nothing else is there; manifest.json written once, last. */
  checkOutput(output: string): Promise<void>;
  /** A deploy on one host: its worker is sent `signal`, and once it exited a new one starts on the same host and data dir. */
  restartWorker(host: Host, signal: NodeJS.Signals): Promise<void>;
  /** Scratch folders (`act-*`, `copy-*`) left in the hosts' data dirs. */
  scratchLeft(): string[];
  close(): Promise<void>;
}

export async function startHostRig(options: HostRigOptions): Promise<HostRig> {
  const address = options.temporalAddress;
  const [temporalHost, temporalPort] = address.split(':');
  const { clip, renditions } = options;
  const oss = await OssServer.start({ credentials: [OSS_KEY], buckets: ['media'] });
  const ossPort = Number(new URL(oss.endpoint).port);
  const ossEnv = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: OSS_KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: OSS_KEY.accessKeySecret,
    OSS_REGION: 'cn-hangzhou',
    OSS_PATH_STYLE: '1',
  };
  // The test itself reaches OSS on 127.0.0.1, to upload the source and fetch the outputs.
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries({ ...ossEnv, OSS_ENDPOINT: oss.endpoint })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'worker-hosts-'));
  const stores = new Stores(dir);
  await stores.copy(`file://${makeClip({ seconds: clip.seconds, fps: clip.fps, gop: clip.fps, width: clip.width, height: clip.height })}`, 'oss://media/in/clip.mp4');

  const env = await createTestEnv({ noWorkers: true, env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' } });
  const forwarders: TcpForwarder[] = [];
  const hosts: Host[] = [];
  const launch = (host: WorkerHost, dataDir: string): WorkerProcess =>
    spawnWorker(
      { ...env.config, dataDir, mediaConcurrency: 1 },
      { ...ossEnv, TEMPORAL_ADDRESS: `${host.gateway}:${temporalPort}`, OSS_ENDPOINT: `http://${host.gateway}:${ossPort}`, SHARDFLOW_WORK_URL: 'oss://media/work/' },
      undefined,
      host.exec,
    );
  const close = async (): Promise<void> => {
    for (const h of hosts) await h.worker.kill('SIGKILL');
    for (const f of forwarders) await f.close();
    hostsDown(Array.from({ length: options.hosts }, (_, i) => options.firstHost + i));
    await env.close();
    await oss.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const host of hostsUp(options.hosts, options.firstHost)) {
      // The host reaches Temporal and OSS only at its gateway address, through relays to this machine.
      forwarders.push(await forwardTcp(host.gateway, Number(temporalPort), temporalHost!, Number(temporalPort)));
      forwarders.push(await forwardTcp(host.gateway, ossPort, '127.0.0.1', ossPort));
      const dataDir = await mkdtemp(path.join(dir, `${host.namespace}-data-`));
      const worker = launch(host, dataDir);
      hosts.push({ host, worker, identity: identityOf(worker), dataDir });
    }
    await Promise.all(hosts.map((h) => h.worker.ready));
  } catch (err) {
    await close();
    throw err;
  }

  const fetched = await mkdtemp(path.join(dir, 'fetched-'));
  return {
    oss,
    dir,
    env,
    hosts,
    start: (output) => env.start({ source: 'oss://media/in/clip.mp4', output, renditions, segmentSeconds: 2 }),
    async checkOutput(output) {
      const prefix = output.slice('oss://media/'.length);
      const names = renditions.map((r) => `${r.name}.mp4`);
      assert.deepEqual(oss.keys('media').filter((k) => k.startsWith(prefix)), [`${prefix}manifest.json`, ...names.map((n) => `${prefix}${n}`)].sort(), `${output}: only whole outputs`);
      for (const name of names) {
        const file = await stores.for(output).localPath(`${output}${name}`, await mkdtemp(path.join(fetched, 'out-')));
        const video = videoOf(file);
        assert.equal(video.frames, clip.seconds * clip.fps, `${output}${name}: decoded frames`);
        assert.ok(Math.abs(video.duration - clip.seconds) <= 1 / clip.fps + 0.002, `${output}${name}: video lasts ${video.duration} s`);
        const audio = audioOf(file);
        assert.ok(audio && Math.abs(audio.duration - clip.seconds) < 0.05, `${output}${name}: audio lasts ${audio?.duration} s`);
      }
      const writes = oss.requests.filter((r) => r.bucket === 'media' && r.key.startsWith(prefix) && WRITES.includes(r.op as OssOp) && r.status === 200);
      assert.equal(writes.filter((r) => r.key === `${prefix}manifest.json`).length, 1, `${output}: manifest.json written once`);
      assert.equal(writes.at(-1)?.key, `${prefix}manifest.json`, `${output}: manifest.json written last`);
    },
    async restartWorker(h, signal) {
      await h.worker.kill(signal);
      h.worker = launch(h.host, h.dataDir);
      h.identity = identityOf(h.worker);
      await h.worker.ready;
    },
    scratchLeft: () =>
      hosts.flatMap((h) => {
        const scratch = path.join(h.dataDir, 'tmp');
        return existsSync(scratch) ? readdirSync(scratch).filter((n) => /^(act|copy)-/.test(n)).map((n) => `${h.host.namespace}: ${n}`) : [];
      }),
    close,
  };
}

function identityOf(worker: WorkerProcess): string {
  return `${worker.child.pid}@${os.hostname()}`;
}

export interface ShardStart {
  activityId: string;
  identity: string;
  attempt: number;
  lastFailureTimeout?: number | null;
}

/** Every encodeShard activity of the job's shard batches as its history records it: one row per scheduled event. */
export async function shardStarts(handle: WorkflowHandle): Promise<ShardStart[]> {
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
