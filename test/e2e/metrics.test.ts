// The worker's Prometheus endpoint: the SDK's metrics and shardflow's own.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { makeClip } from '../support/clips';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { spawnWorker, type WorkerProcess } from '../support/workerProcess';

const ADDRESS = '127.0.0.1:19464';

let env: TestEnv;
let worker: WorkerProcess | undefined;
before(async () => {
  env = await createTestEnv({ noWorkers: true });
});
after(async () => {
  await worker?.kill('SIGTERM');
  await env.close();
});

/** Sum of a counter's samples over all label sets. */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).pop()), 0);
}

it('exposes SDK and shardflow metrics for scraping', { timeout: 120_000 }, async () => {
  worker = spawnWorker(env.config, {}, ['--metrics', ADDRESS]);
  await worker.ready;
  assert.match(worker.output(), new RegExp(`metrics at http://${ADDRESS}/metrics`));
  const source = makeClip({ seconds: 3, fps: 25, gop: 25 });
  const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/out/`, renditions: ['mp4-360p', 'mp4-480p'], segmentSeconds: 1 });
  await handle.result();

  const text = await (await fetch(`http://${ADDRESS}/metrics`)).text();
  assert.equal(total(text, 'shardflow_shards_done'), 6, 'three shards of two renditions');
  assert.match(text, /shardflow_shards_done\{[^}]*rendition="mp4-480p"/);
  assert.ok(total(text, 'shardflow_ffmpeg_seconds_sum') > 0, 'time spent in ffmpeg');
  assert.ok(total(text, 'shardflow_ffmpeg_seconds_count') >= 6, 'one ffmpeg run per shard at least');
  assert.ok(total(text, 'shardflow_bytes_read') >= 3 * 1000, 'the source and shards were read');
  assert.ok(total(text, 'shardflow_bytes_written') > 1000, 'shards and outputs were written');
  assert.match(text, /^temporal_activity_execution_latency/m, "the SDK's own metrics");
});
