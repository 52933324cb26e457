// The `shardflow` command line.
import { Command } from 'commander';
import { registerCancel } from './cancelCommand';
import { registerCheck } from './checkCommand';
import { registerDemo } from './demoCommand';
import { registerFcHandler } from './fcHandlerCommand';
import { registerFlow } from './flowCommand';
import { registerGc } from './gcCommand';
import { registerList } from './listCommand';
import { registerPreview } from './previewCommand';
import { registerAbandon, registerRetry } from './repairCommands';
import { registerServer } from './serverCommand';
import { registerStatus } from './statusCommand';
import { registerTranscode } from './transcodeCommand';
import { registerTrigger } from './triggerCommand';
import { registerWatch } from './watchCommand';
import { registerWorker } from './workerCommand';

const program = new Command();
program
  .name('shardflow')
  .description('Divide-and-conquer video transcoding on Temporal, with Serverless Workflow semantics')
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- read at run time from the installed package
  .version(require('../../../package.json').version)
  .addHelpText(
    'after',
    `
Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
SHARDFLOW_DATA_DIR (default ./.shardflow), SHARDFLOW_MEDIA_CONCURRENCY, SHARDFLOW_FFMPEG_THREADS.
Exit codes: 0 ok, 1 job failed, 2 bad arguments or job, 3 no Temporal server, 4 no such job, 5 request refused by the job.`,
  );
registerDemo(program);
registerServer(program);
registerWorker(program);
registerTranscode(program);
registerStatus(program);
registerList(program);
registerRetry(program);
registerAbandon(program);
registerCancel(program);
registerTrigger(program);
registerWatch(program);
registerFcHandler(program);
registerFlow(program);
registerGc(program);
registerCheck(program);
registerPreview(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`shardflow: ${err.message}\n`);
  process.exitCode = 2;
});
