// `shardflow gc`: removes work areas left behind by jobs and flows that are no
// longer running (terminated, failed, timed out, or unknown to Temporal).
import type { Command } from 'commander';
import { Stores } from '../storage/stores';
import { collectWorkAreas, type GcEntry } from '../workAreaGc';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { withClient } from './withClient';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90m", "7d", "30s" or "0" in milliseconds. */
export function parseAge(text: string): number {
  if (text.trim() === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (!m) throw new CliError(`--older-than must look like 30m, 24h or 7d (or 0), got ${JSON.stringify(text)}`, ExitCode.Usage);
  return Number(m[1]) * UNITS[m[2]];
}

function describeEntry(e: GcEntry): string {
  const when = e.lastModified ? `last written ${e.lastModified.toISOString()}` : 'no objects dated';
  const verb = { removed: 'removed', 'would-remove': 'would remove', 'kept-running': 'kept (running)', 'kept-recent': 'kept (recent)' }[e.action];
  return `${verb.padEnd(15)} ${e.url}  ${e.kind} ${e.owner}: ${e.status}, ${e.objects} object(s), ${e.bytes} bytes, ${when}\n`;
}

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('remove work areas of jobs and flows that are not running (terminated, failed, timed out, unknown); run it on a schedule')
    .option('--older-than <age>', 'only areas nothing has written to for this long (30m, 24h, 7d)', '24h')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean }) => {
        const olderThanMs = parseAge(opts.olderThan);
        return withClient(async (client, config) => {
          const stores = new Stores(config.localStoreRoot, { scratchDir: config.scratchDir });
          const entries = await collectWorkAreas(client, stores, config.workRoot, { olderThanMs, dryRun: Boolean(opts.dryRun) });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ workRoot: config.workRoot, olderThanSeconds: olderThanMs / 1000, dryRun: Boolean(opts.dryRun), areas: entries })}\n`);
            return;
          }
          for (const e of entries) process.stdout.write(describeEntry(e));
          const removed = entries.filter((e) => e.action === 'removed' || e.action === 'would-remove');
          const bytes = removed.reduce((n, e) => n + e.bytes, 0);
          process.stdout.write(`${opts.dryRun ? 'would remove' : 'removed'} ${removed.length} of ${entries.length} work area(s) below ${config.workRoot}, ${bytes} bytes\n`);
        });
      }),
    );
}
