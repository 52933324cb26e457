// `shardflow worker`: serve workflows and media work until stopped.
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { audioTaskQueue } from '../core/names';
import { describeDispatch, dispatchSettings, type DispatchSettings } from '../dispatch';
import { connectClient, ensureSearchAttributes } from '../temporalConnection';
import { startWorkers, type WorkerRole } from '../worker';
import { DEFAULT_SHUTDOWN_GRACE_SECONDS, drainOnSignals } from '../workerDrain';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';

const ROLES: WorkerRole[] = ['all', 'workflows', 'media'];

interface WorkerOpts {
  role: string;
  mediaConcurrency?: string;
  metrics: string;
  dispatch?: string;
  endpoint?: string;
  dispatchActivities?: string;
  dispatchConcurrency?: string;
  shutdownGrace: string;
}

function graceSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new CliError(`--shutdown-grace (or SHARDFLOW_SHUTDOWN_GRACE_SECONDS) takes seconds, 0 or more, got ${JSON.stringify(value)}`, ExitCode.Usage);
  }
  return n;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker: workflows and storage work, ffmpeg work, or both')
    .option('--role <role>', `what to serve: ${ROLES.join(', ')}`, 'all')
    .option('--media-concurrency <n>', 'ffmpeg processes at once (default: core count, or SHARDFLOW_MEDIA_CONCURRENCY)')
    .option('--dispatch <fc|http>', 'run dispatched media activities in a function instead of here (default: SHARDFLOW_DISPATCH)', process.env.SHARDFLOW_DISPATCH)
    .option('--endpoint <url>', 'with --dispatch http: base URL of a service serving POST /invoke')
    .option('--dispatch-activities <names>', 'comma-separated activities to dispatch (default: encodeShard,encodeAudio, or SHARDFLOW_DISPATCH_ACTIVITIES)')
    .option('--dispatch-concurrency <n>', 'dispatched calls at once: the function quota (default 100, or SHARDFLOW_DISPATCH_CONCURRENCY)')
    .option(
      '--shutdown-grace <seconds>',
      `on SIGTERM/SIGINT, how long running tasks may finish before they are cancelled (default ${DEFAULT_SHUTDOWN_GRACE_SECONDS}, or SHARDFLOW_SHUTDOWN_GRACE_SECONDS); a second signal cancels them at once`,
      process.env.SHARDFLOW_SHUTDOWN_GRACE_SECONDS ?? String(DEFAULT_SHUTDOWN_GRACE_SECONDS),
    )
    .option('--metrics <host:port|off>', 'Prometheus endpoint (SDK and shardflow metrics) at http://host:port/metrics', process.env.SHARDFLOW_METRICS_ADDRESS ?? '127.0.0.1:9464')
    .action(
      commandAction(async (opts: WorkerOpts) => {
        if (!ROLES.includes(opts.role as WorkerRole)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`, ExitCode.Usage);
        const grace = graceSeconds(opts.shutdownGrace);
        let dispatch: DispatchSettings | undefined;
        if (opts.dispatch) {
          try {
            dispatch = dispatchSettings({ mode: opts.dispatch, endpoint: opts.endpoint, activities: opts.dispatchActivities, concurrency: opts.dispatchConcurrency });
          } catch (err) {
            throw new CliError((err as Error).message, ExitCode.Usage);
          }
        }
        if (opts.mediaConcurrency !== undefined) process.env.SHARDFLOW_MEDIA_CONCURRENCY = opts.mediaConcurrency;
        const config = loadConfig();
        const client = await connectClient(config);
        await ensureSearchAttributes(client, config.namespace);
        await client.connection.close();
        const metricsAddress = opts.metrics === 'off' ? undefined : opts.metrics;
        const workers = await startWorkers({ config, role: opts.role as WorkerRole, metricsAddress, dispatch, shutdownGraceSeconds: grace });
        const stopped = drainOnSignals(workers, grace, (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
        const mediaQueues = `${config.mediaTaskQueue}, ${audioTaskQueue(config.mediaTaskQueue)}`;
        const queues = opts.role === 'media' ? mediaQueues : opts.role === 'workflows' ? config.taskQueue : `${config.taskQueue}, ${mediaQueues}`;
        process.stderr.write(
          `worker ready at ${config.temporalAddress} (namespace ${config.namespace}): task queues ${queues}; ` +
            `${config.mediaConcurrency} ffmpeg at once, ${config.ffmpegThreads} thread(s) each (${config.streamThreads} for a streaming shard)` +
            `${dispatch && opts.role !== 'workflows' ? `; ${describeDispatch(dispatch)}` : ''}` +
            `${metricsAddress ? `; metrics at http://${metricsAddress}/metrics` : ''}. ` +
            `Ctrl-C or SIGTERM stops it after its running tasks (up to ${grace} s).\n`,
        );
        if (workers.sweptScratch.length > 0) {
          process.stderr.write(`removed ${workers.sweptScratch.length} stale scratch folder(s) from ${config.scratchDir} (left by processes that ended, or idle for a day)\n`);
        }
        await stopped;
      }),
    );
}
