// Starts the Workers of one process: workflows plus storage bookkeeping on the
// main task queue, ffmpeg work on the media queue and audio encodes on its
// audio queue. Either role can run alone, so heavy media work can live on its
// own pool of machines.
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type WorkerOptions } from '@temporalio/worker';
import { MEDIA_ACTIVITIES, type Activities } from './core/contracts';
import { audioTaskQueue } from './core/names';
import { Gate } from './activities/gate';
import { createActivities } from './workerActivities';
import { storageMetrics } from './activities/metrics';
import type { Config } from './config';
import { planDispatchingWorker, type DispatchSettings } from './dispatch';
import { sweepStaleScratch, type SweptFolder } from './storage/scratchDirs';
import { Stores } from './storage/stores';
import { connectionOptions } from './temporalConnection';
import { workflowCode } from './workflowBundle';

export type WorkerRole = 'all' | 'workflows' | 'media';

export interface WorkerSetOptions {
  config: Config;
  role?: WorkerRole;
  /** Tests replace activities to inject faults or cheap stand-ins. */
  activities?: Partial<Activities>;
  /** Workflow code to serve; defaults to the project's workflows. */
  workflowsPath?: string;
  /** Slots for storage bookkeeping and workflow tasks on the main queue. */
  mainConcurrency?: number;
  /** host:port for a Prometheus /metrics endpoint (SDK metrics plus ours); none when omitted. */
  metricsAddress?: string;
  /** Run these media activities in a function (FC or POST /invoke) instead of in this process. */
  dispatch?: DispatchSettings;
  /** Log errors only (a command that reports failures itself); SHARDFLOW_VERBOSE still logs everything. */
  quiet?: boolean;
  /**
   * A graceful stop: once shutdown() is called, running activities get this long to finish before they are
   * cancelled, and the caller handles SIGTERM and SIGINT itself (workerDrain.ts). Without it the SDK's own signal
   * handlers stop the workers and cancel running activities at once.
   */
  shutdownGraceSeconds?: number;
}

export interface WorkerSet {
  /** Resolves when every worker has shut down. */
  done: Promise<void>;
  /** Scratch folders left by processes that ended, removed before the workers started. */
  sweptScratch: SweptFolder[];
  /** Stops polling, lets running tasks finish (within the grace period, if any) and resolves with `done`. */
  shutdown(): Promise<void>;
  /** Activity tasks running now, across the set's workers. */
  runningActivities(): number;
}

let runtimeInstalled = false;

/** An activity-only worker polls no workflows by design; the SDK's warning about it is noise. */
const EXPECTED_WARNINGS = ['No workflows registered'];

/** Errors keep their message in JSON logs (they stringify to {} otherwise). */
function plainLogValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Installs the SDK runtime once per process: logs at warnings (all of them with SHARDFLOW_VERBOSE) so the
 * CLI stays readable, and a Prometheus endpoint when asked for.
 */
function installRuntime(metricsAddress: string | undefined, quiet = false, ownSignals = false): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const verbose = Boolean(process.env.SHARDFLOW_VERBOSE);
  const logger = new DefaultLogger(verbose ? 'DEBUG' : quiet ? 'ERROR' : 'WARN', (entry: LogEntry) => {
    if (!verbose && EXPECTED_WARNINGS.some((w) => entry.message.startsWith(w))) return;
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(`${time} [${entry.level}] ${entry.message} ${entry.meta ? JSON.stringify(entry.meta, plainLogValue) : ''}\n`);
  });
  const level = verbose ? 'INFO' : quiet ? 'ERROR' : 'WARN';
  Runtime.install({
    logger,
    ...(ownSignals ? { shutdownSignals: [] } : {}),
    telemetryOptions: {
      logging: { filter: { core: level, other: level } },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
    },
  });
}

export { WORKFLOWS_PATH } from './workflowBundle';

/**
 * Cancellation reaches an activity only in a heartbeat's answer. The SDK's default throttling holds
 * heartbeats back up to 30-60 s; at 5 s a cancelled ffmpeg run or function call (billed by the
 * second) stops within seconds, and a flow's Catch never waits long for a cancelled branch.
 */
const HEARTBEAT_THROTTLE = { maxHeartbeatThrottleInterval: '5s', defaultHeartbeatThrottleInterval: '5s' } as const;

/**
 * After the grace period the SDK cancels what still runs; a cancelled ffmpeg stops and its scratch is removed in
 * seconds. A task that ignores cancellation for this much longer is abandoned (the SDK fails the worker), so the
 * process still ends and its task runs again after its heartbeat timeout.
 */
export const CANCEL_MARGIN_SECONDS = 30;

function shutdownTimes(graceSeconds: number | undefined): Pick<WorkerOptions, 'shutdownGraceTime' | 'shutdownForceTime'> {
  if (graceSeconds === undefined) return {};
  return { shutdownGraceTime: graceSeconds * 1000, shutdownForceTime: (graceSeconds + CANCEL_MARGIN_SECONDS) * 1000 };
}

export async function startWorkers(options: WorkerSetOptions): Promise<WorkerSet> {
  const { config } = options;
  const role = options.role ?? 'all';
  installRuntime(options.metricsAddress, options.quiet, options.shutdownGraceSeconds !== undefined);
  const sweptScratch = await sweepStaleScratch(config.scratchDir);
  const connection = await NativeConnection.connect(connectionOptions(config));
  const all: Activities = { ...createActivities({ config, stores: new Stores(config.localStoreRoot, { scratchDir: config.scratchDir, observer: storageMetrics }) }), ...options.activities };
  const mediaActivities = Object.fromEntries(Object.entries(all).filter(([name]) => (MEDIA_ACTIVITIES as readonly string[]).includes(name)));
  const storage = Object.fromEntries(Object.entries(all).filter(([name]) => !(MEDIA_ACTIVITIES as readonly string[]).includes(name)));

  const specs: WorkerOptions[] = [];
  // Each queue's Worker dispatches the configured activities it serves (flow functions on the main queue).
  // The media and audio queues call the same function, so they share its quota.
  const mediaCalls = options.dispatch ? new Gate(options.dispatch.concurrency) : undefined;
  const plan = (local: Record<string, unknown>, slots: number, callGate?: Gate) =>
    options.dispatch && options.dispatch.activities.some((name) => name in local)
      ? planDispatchingWorker(local, options.dispatch, slots, undefined, callGate)
      : { activities: local, slots };
  if (role !== 'media') {
    const main = plan(storage, options.mainConcurrency ?? 20);
    specs.push({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      ...(options.workflowsPath ? { workflowsPath: options.workflowsPath } : workflowCode()),
      activities: main.activities,
      maxConcurrentActivityTaskExecutions: main.slots,
      ...HEARTBEAT_THROTTLE,
      ...shutdownTimes(options.shutdownGraceSeconds),
    });
  }
  if (role !== 'workflows') {
    // encodeAudio stays on the media queue too, for audio tasks scheduled there before the audio queue existed.
    const media = plan(mediaActivities, config.mediaConcurrency, mediaCalls);
    const audio = plan({ encodeAudio: all.encodeAudio }, config.mediaConcurrency, mediaCalls);
    for (const [taskQueue, served] of [[config.mediaTaskQueue, media], [audioTaskQueue(config.mediaTaskQueue), audio]] as const) {
      specs.push({
        connection,
        namespace: config.namespace,
        taskQueue,
        activities: served.activities,
        maxConcurrentActivityTaskExecutions: served.slots,
        ...HEARTBEAT_THROTTLE,
        ...shutdownTimes(options.shutdownGraceSeconds),
      });
    }
  }
  const workers = await Promise.all(specs.map((s) => Worker.create(s)));
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await connection.close();
  });
  return {
    done,
    sweptScratch,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
    runningActivities() {
      return workers.reduce((n, w) => n + w.getStatus().numInFlightActivities, 0);
    },
  };
}
