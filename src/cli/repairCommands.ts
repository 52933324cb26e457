// `shardflow retry` and `shardflow abandon`: decide what happens to a job
// awaiting repair. Both are Temporal Updates, so the answer comes at once.
import type { Command } from 'commander';
import { describeJob } from '../client';
import { abandonUpdate, retryShardsUpdate } from '../core/names';
import { failedTaskName } from '../core/job/repair';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { withClient } from './withClient';

function shardNumber(value: string, all: number[]): number[] {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--shard takes a shard number such as 3, got ${JSON.stringify(value)}`, ExitCode.Usage);
  return [...all, n];
}

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('re-run failed shards and audio encodes of a job awaiting repair (all of them by default), then finish the job')
    .argument('<jobId>')
    .option('--shard <n>', 'shard number as shown by status; repeatable', shardNumber, [] as number[])
    .option('--rendition <name>', 'only failed tasks of this rendition: its shards and its audio')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (jobId: string, opts: { shard: number[]; rendition?: string; json?: boolean }) =>
        withClient(async (client) => {
          await describeJob(client, jobId);
          const req = { shards: opts.shard.length > 0 ? opts.shard : undefined, rendition: opts.rendition };
          const res = await client.workflow.getHandle(jobId).executeUpdate(retryShardsUpdate, { args: [req] });
          if (opts.json) process.stdout.write(`${JSON.stringify({ jobId, ...res })}\n`);
          else {
            process.stdout.write(`job ${jobId}: re-running ${res.accepted.length} shard task(s): ${res.accepted.map((a) => failedTaskName(a)).join(', ')}\n`);
            process.stdout.write(`follow it with: shardflow status ${jobId} --watch\n`);
          }
        }),
      ),
    );
}

export function registerAbandon(program: Command): void {
  program
    .command('abandon')
    .description('give up on a job awaiting repair: it fails, listing its failed shards, and its work area is cleaned')
    .argument('<jobId>')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (jobId: string, opts: { json?: boolean }) =>
        withClient(async (client) => {
          await describeJob(client, jobId);
          const res = await client.workflow.getHandle(jobId).executeUpdate(abandonUpdate);
          if (opts.json) process.stdout.write(`${JSON.stringify({ jobId, ...res })}\n`);
          else process.stdout.write(`job ${jobId} abandoned with ${res.abandoned} failed shard task(s); it fails and cleans its work area\n`);
        }),
      ),
    );
}
