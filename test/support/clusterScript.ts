// scripts/cluster.sh run from a test, with the test's own environment, so it
// finds the same cluster (SHARDFLOW_CLUSTER_DIR and ports) the test uses.
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../../scripts/cluster.sh');

export function clusterScript(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}
