// `shardflow server`: the embedded Temporal dev server with the Web UI.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config';
import { devServerPaths, ourServerPid, runDevServerForeground, serverAnswers, startDevServerDetached, stopDevServer } from '../devServer';
import { connectClient, ensureSearchAttributes } from '../temporalConnection';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';

async function registerAttributes(config: Config): Promise<void> {
  const client = await connectClient(config);
  try {
    await ensureSearchAttributes(client, config.namespace);
  } finally {
    await client.connection.close();
  }
}

/** Starts the dev server in the background unless one answers already; true when it started one. */
export async function ensureDevServer(config: Config, say: (line: string) => void): Promise<boolean> {
  if (await serverAnswers(config)) {
    say(`a Temporal server already answers at ${config.temporalAddress}; reusing it`);
    await registerAttributes(config);
    return false;
  }
  const pid = await startDevServerDetached(config);
  say(`started the Temporal dev server in the background (pid ${pid}) at ${config.temporalAddress}; Web UI ${config.uiUrl}`);
  say(`it keeps running so the Web UI stays available; stop it with: npx shardflow server stop`);
  await registerAttributes(config);
  return true;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the local Temporal dev server (SQLite in the data folder, Web UI on :8233)')
    .argument('[action]', 'run (foreground), start (background), stop, or status', 'run')
    .option('--json', 'print machine-readable JSON on stdout (status)')
    .action(
      commandAction(async (action: string, opts: { json?: boolean }) => {
        const config = loadConfig();
        const say = (line: string): void => void process.stderr.write(`shardflow: ${line}\n`);
        switch (action) {
          case 'run': {
            if (await serverAnswers(config)) {
              say(`a Temporal server already answers at ${config.temporalAddress}; reusing it`);
              await registerAttributes(config);
              return ExitCode.Ok;
            }
            say(`starting the dev server at ${config.temporalAddress}, Web UI ${config.uiUrl}, data in ${devServerPaths(config).dir}`);
            return runDevServerForeground(config);
          }
          case 'start':
            await ensureDevServer(config, say);
            return ExitCode.Ok;
          case 'stop': {
            const result = await stopDevServer(config);
            say(result === 'stopped' ? 'dev server stopped' : 'no dev server started by shardflow is running');
            return ExitCode.Ok;
          }
          case 'status': {
            const answers = await serverAnswers(config);
            const pid = ourServerPid(config);
            if (opts.json) process.stdout.write(`${JSON.stringify({ address: config.temporalAddress, running: answers, pid: pid ?? null })}\n`);
            else say(answers ? `running at ${config.temporalAddress}${pid ? ` (pid ${pid})` : ''}; Web UI ${config.uiUrl}` : `nothing answers at ${config.temporalAddress}`);
            return answers ? ExitCode.Ok : ExitCode.ServerUnreachable;
          }
          default:
            throw new CliError(`unknown server action ${JSON.stringify(action)}; use run, start, stop or status`, ExitCode.Usage);
        }
      }),
    );
}
