// Replays recorded histories against today's workflow code: a change that
// would break running jobs (non-determinism) fails here, not in production.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH, workflowCode } from '../../src/workflowBundle';
import { historyFromFixture } from '../support/historyFixture';
import { HISTORY_DIR } from '../support/recordHistory';

it('recorded workflow histories replay without non-determinism', async () => {
  const files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2, 'a parent and a child history are committed');
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromFixture(JSON.parse(readFileSync(path.join(HISTORY_DIR, f), 'utf8'))),
  }));
  const types = new Set<string>();
  for (const h of histories) {
    const started = h.history.events?.[0]?.workflowExecutionStartedEventAttributes;
    types.add(started?.workflowType?.name ?? '');
  }
  assert.deepEqual([...types].sort(), ['runFlow', 'transcodeShardBatch', 'transcodeVideo']);
  // Both the source folder and the bundle `npm run build` writes, which workers load when it is current.
  assert.deepEqual(workflowCode(), { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, 'npm run build wrote a current bundle');
  for (const code of [{ workflowsPath: WORKFLOWS_PATH }, { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }]) {
    for await (const result of Worker.runReplayHistories(code, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    }
  }
});
