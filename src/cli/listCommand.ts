// `shardflow list`: recent jobs from Temporal visibility.
import type { Command } from 'commander';
import { readProgress } from '../client';
import { PHASE_SEARCH_ATTRIBUTE, SOURCE_SEARCH_ATTRIBUTE, TRANSCODE_WORKFLOW } from '../core/names';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { withClient } from './withClient';

const STATUSES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
};

export interface JobRow {
  jobId: string;
  status: string;
  phase?: string;
  percent?: number;
  source?: string;
  startTime?: string;
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list recent jobs with their status, phase, progress and source')
    .option('--status <status>', `only jobs that are ${Object.keys(STATUSES).join(', ')}`)
    .option('--limit <n>', 'at most this many jobs', '20')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (opts: { status?: string; limit: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a whole number of at least 1', ExitCode.Usage);
        let query = `WorkflowType = '${TRANSCODE_WORKFLOW}'`;
        if (opts.status !== undefined) {
          const status = STATUSES[opts.status];
          if (!status) throw new CliError(`--status must be one of ${Object.keys(STATUSES).join(', ')}`, ExitCode.Usage);
          query += ` AND ExecutionStatus = '${status}'`;
        }
        return withClient(async (client) => {
          const rows: JobRow[] = [];
          for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
            const row: JobRow = {
              jobId: wf.workflowId,
              status: wf.status.name,
              phase: wf.searchAttributes[PHASE_SEARCH_ATTRIBUTE]?.[0] as string | undefined,
              source: wf.searchAttributes[SOURCE_SEARCH_ATTRIBUTE]?.[0] as string | undefined,
              startTime: wf.startTime.toISOString(),
            };
            rows.push(row);
            if (rows.length >= limit) break;
          }
          // Running jobs report progress through their workers; ask them all at once.
          await Promise.all(
            rows
              .filter((r) => r.status === 'RUNNING')
              .map(async (r) => {
                const p = await readProgress(client, client.workflow.getHandle(r.jobId));
                if (p) Object.assign(r, { phase: p.phase, percent: p.percent });
              }),
          );
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(rows)}\n`);
            return;
          }
          if (rows.length === 0) process.stdout.write('no jobs found\n');
          for (const r of rows) {
            const pct = r.percent === undefined ? '' : ` ${r.percent}%`;
            process.stdout.write(`${r.jobId}  ${r.status.padEnd(10)} ${(r.phase ?? '').padEnd(15)}${pct.padEnd(7)} ${r.source ?? ''}\n`);
          }
        });
      }),
    );
}
