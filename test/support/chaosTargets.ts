// Where a chaos scenario's Temporal runs, chosen by CHAOS_TARGET: `devserver`
// (the default), a dev server of the rig's own with its SQLite file, or
// `cluster`, the PostgreSQL-backed cluster of scripts/cluster.sh. Scenarios
// see only this interface, so each runs unchanged on both.
import type { Config } from '../../src/config';
import { ourServerPid, serverAnswers, startDevServerDetached, stopDevServer } from '../../src/devServer';
import { clusterScript } from './clusterScript';
import { processExists } from './processes';
import { eventually } from './until';

export type ChaosTargetName = 'devserver' | 'cluster';

export interface ChaosTarget {
  name: ChaosTargetName;
  /** The frontend the rig's client and workers use, and the Web UI. */
  address: string;
  uiUrl: string;
  start(config: Config): Promise<void>;
  /** SIGKILLs the Temporal server process and starts it again on the same database; resolves once it answers. */
  killAndRestartServer(config: Config): Promise<void>;
  /** Restarts the database under the running server; absent where the database lives inside the server process. */
  restartDatabase?(): Promise<void>;
  stop(config: Config): Promise<void>;
}

export function chaosTargetName(): ChaosTargetName {
  const name = process.env.CHAOS_TARGET || 'devserver';
  if (name !== 'devserver' && name !== 'cluster') throw new Error(`CHAOS_TARGET is "${name}": it must be devserver or cluster`);
  return name;
}

/** The first worker host index (test/support/workerHosts.ts) of the target's host scenarios: the two targets' suites run side by side in CI. */
export function chaosFirstHost(): number {
  return chaosTargetName() === 'cluster' ? 11 : 1;
}

/** The target CHAOS_TARGET names; `port` is the dev server's (its UI on `port + 1000`). */
export function chaosTarget(port: number): ChaosTarget {
  return chaosTargetName() === 'cluster' ? clusterTarget() : devServerTarget(port);
}

function devServerTarget(port: number): ChaosTarget {
  if (port === 7233) throw new Error('the chaos rig never uses the shared dev server port 7233');
  return {
    name: 'devserver',
    address: `127.0.0.1:${port}`,
    uiUrl: `http://localhost:${port + 1000}`,
    async start(config) {
      await startDevServerDetached(config);
    },
    async killAndRestartServer(config) {
      const pid = ourServerPid(config);
      if (pid === undefined) throw new Error(`no dev server of the rig runs at ${config.temporalAddress}`);
      process.kill(pid, 'SIGKILL');
      await eventually(() => !processExists(pid), 5);
      await startDevServerDetached(config);
    },
    async stop(config) {
      await stopDevServer(config);
    },
  };
}

/** The cluster is shared with other tests: the rig never starts or stops it, only crashes and restarts its parts. */
function clusterTarget(): ChaosTarget {
  const address = process.env.SHARDFLOW_CLUSTER_ADDRESS || '127.0.0.1:7243';
  return {
    name: 'cluster',
    address,
    uiUrl: process.env.SHARDFLOW_CLUSTER_UI_URL || 'http://127.0.0.1:8243',
    async start(config) {
      if (!(await serverAnswers(config, 5000))) {
        throw new Error(`CHAOS_TARGET=cluster, but no Temporal frontend answers at ${address}: start it with \`bash scripts/cluster.sh up\``);
      }
    },
    killAndRestartServer: () => runClusterScript(['restart', 'temporal', '--kill']),
    restartDatabase: () => runClusterScript(['restart', 'postgresql']),
    async stop() {},
  };
}

async function runClusterScript(args: string[]): Promise<void> {
  const { code, output } = await clusterScript(args);
  if (code !== 0) throw new Error(`scripts/cluster.sh ${args.join(' ')} exited with ${code}:\n${output}`);
}
