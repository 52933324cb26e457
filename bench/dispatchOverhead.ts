// Dispatch overhead per shard: the same tiny shards encoded in-process and
// through the local FC API server (real @alicloud/fc20230330 client, signed
// calls, a real `shardflow fc-handler` instance), one at a time so CPU
// contention does not blur the difference. A shard's time is its activity's
// started → completed span in the workflow history; overhead is dispatched
// minus in-process, at the median and the 95th percentile.
//
//   TEMPORAL_ADDRESS=127.0.0.1:7233 node dist/bench/dispatchOverhead.js [--jobs 6]
// Writes bench/results/<YYYY-MM-DD-HHMM>/dispatch-overhead.json, which the
// published tables read once it is committed (npm run bench:report).
import * as path from 'node:path';
import { dispatchSettings } from '../src/dispatch';
import { createInvoker } from '../src/dispatch/invokers';
import { startWorkers } from '../src/worker';
import { makeClip } from '../test/support/clips';
import { startFcApiServer, TEST_FC_SECRET } from '../test/support/fcApiServer';
import { createTestEnv, type TestEnv } from '../test/support/testEnv';
import { fixed, machineInfo, table, writeResult } from './report';
import { runFolder } from './results';

const KEY = { accessKeyId: 'LTAI-bench', accessKeySecret: 'bench-secret' };
const FUNCTION = 'shardflow-bench';
const REPO = path.resolve(__dirname, '..', '..');

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, medianMs: round(quantile(s, 0.5)), p95Ms: round(quantile(s, 0.95)) };
}

/** encodeShard spans (ms) of a finished job, read from its batch workflows' histories. */
async function shardSpans(env: TestEnv, jobId: string): Promise<number[]> {
  const spans: number[] = [];
  for (let b = 0; ; b++) {
    let history;
    try {
      history = await env.client.workflow.getHandle(`${jobId}.shards-${b}`).fetchHistory();
    } catch {
      break;
    }
    const events = history.events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    for (const e of events) {
      const done = e.activityTaskCompletedEventAttributes;
      if (!done) continue;
      const scheduled = byId.get(Number(done.scheduledEventId))?.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'encodeShard') continue;
      const started = byId.get(Number(done.startedEventId));
      spans.push(ms(e.eventTime) - ms(started?.eventTime));
    }
  }
  return spans;
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const i = process.argv.indexOf('--jobs');
  const jobs = i >= 0 ? Number(process.argv[i + 1]) : 6;
  // One thread per encode on both sides, so only the dispatch path differs.
  process.env.SHARDFLOW_FFMPEG_THREADS = '1';
  const source = makeClip({ seconds: 2, fps: 25, gop: 12, width: 160, height: 96, audio: false });
  const local = await createTestEnv({ mediaConcurrency: 1 });
  const remote = await createTestEnv({ noWorkers: true, mediaConcurrency: 1 });
  // The function's scratch space on the same disk as the worker's, as in-process runs have it.
  // It may touch the shared work root (SHARDFLOW_DATA_DIR/work, as the worker's) and the clip's folder.
  const fc = await startFcApiServer({
    credentials: [KEY],
    functionName: FUNCTION,
    instances: 1,
    functionEnv: { SHARDFLOW_DATA_DIR: remote.dir, SHARDFLOW_FC_ALLOWED_URLS: `file://${path.dirname(source)}/` },
  });
  const settings = dispatchSettings(
    { mode: 'fc', concurrency: '1' },
    {
      FC_ENDPOINT: `http://${fc.endpoint}`,
      FC_REGION: 'cn-hangzhou',
      FC_FUNCTION_NAME: FUNCTION,
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
      SHARDFLOW_FC_SECRET: TEST_FC_SECRET,
    },
  );
  remote.workers = await startWorkers({ config: remote.config, dispatch: settings });
  const samples: Record<'inProcess' | 'dispatched' | 'roundTrip', number[]> = { inProcess: [], dispatched: [], roundTrip: [] };
  try {
    // The transport alone: a signed call whose activity does nothing (a flow's after-process of a directory never made).
    const invoke = createInvoker(settings);
    const event = { video_proc_dir: `file://${path.join(remote.dir, 'work', 'video-proc', 'never-made')}/` };
    for (let j = 0; j < 60; j++) {
      const t = performance.now();
      await invoke({ activity: 'invokeFunction', input: { functionName: 'after-process', event, stateName: 'bench' } }, new AbortController().signal);
      if (j >= 10) samples.roundTrip.push(performance.now() - t);
    }
    // A warm-up job each: first ffmpeg runs and the workflow bundle's first tasks are slower.
    for (let j = 0; j <= jobs; j++) {
      for (const [kind, env] of [['inProcess', local], ['dispatched', remote]] as const) {
        const result = await env.run({ source: `file://${source}`, output: `file://${path.join(env.dir, `out-${j}`)}/`, renditions: ['mp4-360p'], segmentSeconds: 0.5 });
        if (j > 0) samples[kind].push(...(await shardSpans(env, result.jobId)));
      }
    }
  } finally {
    await Promise.all([local.close(), remote.close()]);
    await fc.close();
  }
  const inProcess = stats(samples.inProcess);
  const dispatched = stats(samples.dispatched);
  const roundTripNoOp = stats(samples.roundTrip);
  const overheadMs = { median: Math.round(dispatched.medianMs - inProcess.medianMs), p95: Math.round(dispatched.p95Ms - inProcess.p95Ms) };
  const ms = (x: number): string => `${fixed(x, 1)} ms`;
  const result = {
    name: 'dispatch-overhead',
    title: '6. Function Compute dispatch overhead per shard (encodeShard, 0.5 s shards of 160x96, 1 thread, one at a time)',
    table: table(
      ['path', 'samples', 'median', 'p95'],
      [
        ['in-process encodeShard', inProcess.n, ms(inProcess.medianMs), ms(inProcess.p95Ms)],
        ['dispatched encodeShard (local FC API → fc-handler)', dispatched.n, ms(dispatched.medianMs), ms(dispatched.p95Ms)],
        ['**overhead**', '', `**${overheadMs.median} ms**`, `**${overheadMs.p95} ms**`],
        ['signed call, activity does nothing', roundTripNoOp.n, ms(roundTripNoOp.medianMs), ms(roundTripNoOp.p95Ms)],
      ],
    ),
    notes: ['time per shard is its activity\'s started → completed span in the history; both sides on one machine with file:// storage, so a real FC adds the network round trip and any cold start'],
    checks: [],
    data: { inProcess, dispatched, roundTripNoOp, overheadMs },
    elapsedMs: performance.now() - t0,
  };
  const dir = runFolder(REPO, 'full', started);
  const machine = machineInfo(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', REPO);
  await writeResult(dir, result, machine, `node dist/bench/dispatchOverhead.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`, started);
  process.stdout.write(`${result.table}\nwritten to ${path.join(dir, 'dispatch-overhead.json')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  },
);
