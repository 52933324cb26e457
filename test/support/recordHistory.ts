// Records the histories the replay test checks workflow changes against.
// Run after an intentional workflow change, against a running dev server:
//   npm run build && node dist/test/support/recordHistory.js
// runFlow histories come from its sibling, recordFlowHistory.js.
import type { Client } from '@temporalio/client';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyToFixture } from './historyFixture';
import { makeClip } from './clips';
import { createTestEnv } from './testEnv';

export const HISTORY_DIR = path.resolve(__dirname, '../../../test/fixtures/histories');

async function main(): Promise<void> {
  const env = await createTestEnv();
  try {
    const source = makeClip({ seconds: 4, fps: 25, gop: 25 });
    const handle = await env.start(
      { source: `file://${source}`, output: `file://${env.dir}/out/`, renditions: ['mp4-360p', 'webm-720p'], segmentSeconds: 1 },
      'replay-fixture',
    );
    await handle.result();
    // A streaming job too: its shard tasks cover every rung of a shard (one activity per shard).
    const stream = await env.start(
      { source: `file://${source}`, output: `file://${env.dir}/stream/`, package: 'hls', ladder: [240, 120], streamSegmentSeconds: 2, segmentSeconds: 2 },
      'replay-fixture-stream',
    );
    await stream.result();
    for (const id of [handle.workflowId, stream.workflowId]) {
      for (const workflowId of [id, `${id}.shards-0`]) await writeHistoryFixture(env.client, workflowId);
    }
  } finally {
    await env.close();
  }
}

/** Fetches an execution's history and writes it as HISTORY_DIR/<workflowId>.json. */
export async function writeHistoryFixture(client: Client, workflowId: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = path.join(HISTORY_DIR, `${workflowId}.json`);
  writeFileSync(file, `${JSON.stringify(historyToFixture(history), null, 1)}\n`);
  process.stdout.write(`wrote ${file} (${history.events?.length} events)\n`);
}

/** Runs a recording script's main, printing the stack and exiting non-zero on failure. */
export function runScript(main: () => Promise<void>): void {
  main().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
}

if (require.main === module) runScript(main);
