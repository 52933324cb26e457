// One worker process for the scaling and memory scenarios, and for running the
// bench's jobs on other machines. Everything comes from the environment
// (TEMPORAL_ADDRESS, SHARDFLOW_TASK_QUEUE, SHARDFLOW_MEDIA_TASK_QUEUE,
// SHARDFLOW_DATA_DIR, SHARDFLOW_MEDIA_CONCURRENCY, ...); the role from
// --role all|media|workflows or SHARDFLOW_WORKER_ROLE.
//
//   node dist/bench/workerProcess.js --role media
import { loadConfig } from '../src/config';
import { startWorkers, type WorkerRole } from '../src/worker';

const ROLES: WorkerRole[] = ['all', 'media', 'workflows'];

async function main(): Promise<void> {
  const i = process.argv.indexOf('--role');
  const role = (i >= 0 ? process.argv[i + 1] : process.env.SHARDFLOW_WORKER_ROLE ?? 'all') as WorkerRole;
  if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}, got ${role}`);
  const config = loadConfig();
  const workers = await startWorkers({ config, role });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void workers.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent waits for this line before it starts jobs.
  process.stdout.write(
    `ready pid=${process.pid} role=${role} queues=${config.taskQueue},${config.mediaTaskQueue} media-concurrency=${config.mediaConcurrency} threads=${config.ffmpegThreads}\n`,
  );
  await workers.done;
}

main().catch((err) => {
  process.stderr.write(`worker process failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
