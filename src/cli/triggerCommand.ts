// `shardflow trigger serve`: the HTTP endpoint that turns OSS events and queue
// messages into jobs.
import type { Command } from 'commander';
import { secretFromEnv } from '../triggers/signature';
import { DEFAULT_CONFIG_FILE, loadTriggerConfig, parseTriggerConfig, type TriggerConfig } from '../triggers/triggerConfig';
import { startTriggerServer, type RequestLogEntry } from '../triggers/triggerServer';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { withClient } from './withClient';

interface ServeOptions {
  port: string;
  host: string;
  config?: string;
  json?: boolean;
}

export const DEFAULT_TRIGGER_PORT = 8790;

function parsePort(arg: string): number {
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(arg)}`, ExitCode.Usage);
  return n;
}

/** A bad config file or secret is the user's to fix: exit code 2, one sentence. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
}

/** Long-running commands stop cleanly on Ctrl-C or a service manager's SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

function logText(entry: RequestLogEntry): void {
  const lines = [`trigger: ${entry.status}${entry.error ? ` ${entry.error}` : ''}`];
  for (const j of entry.jobs ?? []) {
    lines.push(`  ${j.outcome === 'started' ? 'started' : `duplicate (${j.status})`} job ${j.jobId} for ${j.source}  ${j.uiUrl}`);
  }
  for (const s of entry.skipped ?? []) lines.push(`  skipped ${s.where}: ${s.reason}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

export function registerTrigger(program: Command): void {
  const trigger = program.command('trigger').description('start jobs automatically from OSS events and queue messages');
  trigger
    .command('serve')
    .description('serve the HTTP endpoint for OSS trigger events and EventBridge CloudEvents (OSS, MNS)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', String(DEFAULT_TRIGGER_PORT))
    .option('--host <host>', 'address to listen on; 0.0.0.0 to accept outside connections', '127.0.0.1')
    .option('--config <file>', 'trigger config JSON: filters and job template (default: incoming/ videos → transcoded/)')
    .option('--json', 'print one JSON line per request on stdout')
    .addHelpText(
      'after',
      `
Requests must carry X-Shardflow-Timestamp: <Unix seconds, within 5 minutes> and
X-Shardflow-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>, with the secret from
SHARDFLOW_TRIGGER_SECRET (at least 16 characters); each signature is accepted once. Queue messages are
off unless the config enables them. Answers: 202 jobs started (or already running or done), 200 nothing
to start, 400 malformed, unsafe or over-limit body, 401 bad, stale or reused signature, 413 too large,
503 Temporal unavailable (retrying is safe).
`,
    )
    .action(
      commandAction(async (opts: ServeOptions) => {
        const port = parsePort(opts.port);
        const triggerConfig: TriggerConfig = usage(() => (opts.config ? loadTriggerConfig(opts.config) : parseTriggerConfig(DEFAULT_CONFIG_FILE)));
        const secret = usage(() => secretFromEnv());
        return withClient(async (client, config) => {
          let server;
          try {
            server = await startTriggerServer(
              { client, config, trigger: triggerConfig, secret, log: opts.json ? (e) => process.stdout.write(`${JSON.stringify(e)}\n`) : logText },
              port,
              opts.host,
            );
          } catch (err) {
            throw new CliError(`cannot listen on ${opts.host}:${port}: ${(err as Error).message}`, ExitCode.Usage);
          }
          if (opts.json) process.stdout.write(`${JSON.stringify({ listening: server.url, taskQueue: config.taskQueue })}\n`);
          else process.stderr.write(`trigger endpoint listening on ${server.url}; jobs go to task queue "${config.taskQueue}" at ${config.temporalAddress}. Ctrl-C stops it.\n`);
          await untilStopped();
          await server.close();
          return ExitCode.Ok;
        });
      }),
    );
}
