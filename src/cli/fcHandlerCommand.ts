// `shardflow fc-handler`: the Function Compute custom-runtime server that runs
// dispatched activities (see src/fcHandler/handlerServer.ts).
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { FC_ACTIVITIES, startHandlerServer } from '../fcHandler/handlerServer';
import { FC_SECRET_ENV, invokeSecretFromEnv } from '../fc/invokeAuth';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { untilStopped } from './triggerCommand';

export function registerFcHandler(program: Command): void {
  program
    .command('fc-handler')
    .description('serve POST /invoke as an FC 3.0 custom runtime (or any HTTP function platform), running media activities')
    // FC tells a custom runtime its port in FC_SERVER_PORT (the function's CAPort, 9000 unless configured).
    .option('--port <port>', 'port to listen on (default: FC_SERVER_PORT, else 9000)', process.env.FC_SERVER_PORT || '9000')
    // FC reaches the server from outside the container: 127.0.0.1 would never be called.
    .option('--host <host>', `address to listen on; any but loopback needs ${FC_SECRET_ENV}`, '0.0.0.0')
    .addHelpText(
      'after',
      `
Every POST /invoke must be signed with ${FC_SECRET_ENV} (HMAC-SHA256 over method, path, the
X-Shardflow-Timestamp header and the body; at most 5 minutes of clock skew; a call is accepted once).
Without a secret the handler listens on loopback only. It runs ${FC_ACTIVITIES.join(', ')}, touching only
URLs below SHARDFLOW_WORK_URL and the comma-separated prefixes in SHARDFLOW_FC_ALLOWED_URLS, and at most
SHARDFLOW_FC_CONCURRENCY invocations at once (others get 429).
`,
    )
    .action(
      commandAction(async (opts: { port: string; host: string }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, got ${JSON.stringify(opts.port)}`, ExitCode.Usage);
        // Listen for SIGTERM before starting: FC may stop an instance at any moment, also while it starts.
        const stopped = untilStopped();
        let secret: string | undefined;
        try {
          secret = invokeSecretFromEnv();
        } catch (err) {
          throw new CliError((err as Error).message, ExitCode.Usage);
        }
        let running;
        try {
          running = await startHandlerServer({ config: loadConfig(), host: opts.host, port, secret });
        } catch (err) {
          throw new CliError((err as Error).message, ExitCode.Usage);
        }
        process.stderr.write(
          `fc-handler listening on ${opts.host}:${(running.server.address() as { port: number }).port}: POST /invoke runs ${FC_ACTIVITIES.join(', ')}` +
            ` (${secret ? 'signed calls only' : `UNAUTHENTICATED: loopback only, set ${FC_SECRET_ENV}`}; URLs below ${running.handler.allowedUrls.join(', ')};` +
            ` ${running.handler.maxConcurrent} at once)\n`,
        );
        await stopped;
        await running.close();
      }),
    );
}
