// Waiting on jobs in tests, and a test environment whose failpoints are
// cleared after each suite.
import { after, before } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { JobProgress } from '../../src/core/job/progress';
import { progressQuery } from '../../src/core/names';
import { createTestEnv, type TestEnv } from './testEnv';
import { until } from './until';

export function waitForPhase(handle: WorkflowHandle, phase: string, seconds = 120): Promise<JobProgress> {
  return until(`phase ${phase}`, async () => {
    const p = await handle.query(progressQuery);
    return p.phase === phase ? p : undefined;
  }, seconds);
}

/** A test environment for the enclosing suite; SHARDFLOW_FAILPOINTS is cleared when the suite ends. */
export function suiteEnvWithFailpoints(): () => TestEnv {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    delete process.env.SHARDFLOW_FAILPOINTS;
    await env.close();
  });
  return () => env;
}
