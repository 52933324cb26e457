// `shardflow status`: where a job stands, once or live.
import type { Command } from 'commander';
import { describeJob, type JobStatus } from '../client';
import { jobUiUrl, loadConfig } from '../config';
import { failedTaskName } from '../core/job/repair';
import { connectClient } from '../temporalConnection';
import { commandAction } from './commandAction';
import { ExitCode } from './exitCodes';
import { createProgressView } from './progressView';

function printStatus(s: JobStatus, uiUrl: string): void {
  const phase = s.progress?.phase ?? s.phase ?? 'unknown';
  process.stdout.write(`job ${s.jobId}: ${s.status}, phase ${phase}${s.progress ? `, ${s.progress.percent}%` : ''}\n`);
  for (const [name, r] of Object.entries(s.progress?.renditions ?? {})) {
    process.stdout.write(`  ${name.padEnd(12)} ${r.done}/${r.total} shards${r.failed ? `, ${r.failed} failed` : ''}\n`);
  }
  const failed = s.progress?.failedShards ?? [];
  if (s.progress?.phase === 'awaiting-repair') {
    process.stdout.write(`  awaiting repair until ${s.progress.repairDeadline}; failed tasks:\n`);
    for (const f of failed) {
      process.stdout.write(`    ${failedTaskName(f)}: ${f.attempts} attempt(s), last error: ${f.error}\n`);
    }
    process.stdout.write(`  fix the cause, then: shardflow retry ${s.jobId}   (or give up: shardflow abandon ${s.jobId})\n`);
  }
  if (s.progress?.error) process.stdout.write(`  error: ${s.progress.error}\n`);
  if (!s.progress && s.status === 'RUNNING') process.stdout.write('  (no worker answered the progress query; is a worker running?)\n');
  process.stdout.write(`Web UI: ${uiUrl}\n`);
}

const CLOSED_OK = 'COMPLETED';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show where a job stands')
    .argument('<jobId>')
    .option('--watch', 'show live progress bars until the job ends')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (jobId: string, opts: { watch?: boolean; json?: boolean }) => {
        const config = loadConfig();
        const client = await connectClient(config);
        try {
          let status = await describeJob(client, jobId);
          if (opts.watch && status.status === 'RUNNING') {
            const view = opts.json ? undefined : createProgressView(process.stdout);
            while (status.status === 'RUNNING') {
              if (status.progress) view?.update(status.progress);
              await new Promise((r) => setTimeout(r, 1000));
              status = await describeJob(client, jobId);
            }
            if (status.progress) view?.update(status.progress);
            view?.stop();
          }
          if (opts.json) process.stdout.write(`${JSON.stringify({ ...status, uiUrl: jobUiUrl(config, jobId) })}\n`);
          else printStatus(status, jobUiUrl(config, jobId));
          return status.status === 'RUNNING' || status.status === CLOSED_OK ? ExitCode.Ok : ExitCode.JobFailed;
        } finally {
          await client.connection.close();
        }
      }),
    );
}
