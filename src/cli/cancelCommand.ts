// `shardflow cancel`: stop a job; ffmpeg stops, the work area is cleaned, nothing is published.
import type { Command } from 'commander';
import { describeJob } from '../client';
import { commandAction } from './commandAction';
import { withClient } from './withClient';

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel a job: running ffmpeg stops, the work area is cleaned, nothing is published')
    .argument('<jobId>')
    .option('--no-wait', 'return once the cancellation is requested')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (jobId: string, opts: { wait: boolean; json?: boolean }) =>
        withClient(async (client) => {
          const before = await describeJob(client, jobId);
          const handle = client.workflow.getHandle(jobId);
          if (before.status !== 'RUNNING') {
            const out = { jobId, status: before.status, note: 'the job had already ended' };
            if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
            else process.stdout.write(`job ${jobId} already ended: ${before.status}\n`);
            return;
          }
          await handle.cancel();
          let status = 'CANCEL_REQUESTED';
          if (opts.wait) {
            await handle.result().catch(() => undefined);
            status = (await handle.describe()).status.name;
          }
          if (opts.json) process.stdout.write(`${JSON.stringify({ jobId, status })}\n`);
          else process.stdout.write(`job ${jobId}: ${status === 'CANCEL_REQUESTED' ? 'cancellation requested' : status.toLowerCase()}\n`);
        }),
      ),
    );
}
