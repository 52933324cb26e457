// `shardflow demo`: the whole job on the embedded defaults, from nothing:
// dev server, a worker in this process, a generated sample, several renditions.
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { newJobId } from '../client';
import { loadConfig } from '../config';
import { runFfmpeg } from '../media/ffmpeg';
import { fileUrl } from '../core/objectUrl';
import { connectClient } from '../temporalConnection';
import { startWorkers } from '../worker';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { runJob } from './jobRunner';
import { sourceUrl } from './objectArgs';
import { collect } from './renditionArgs';
import { ensureDevServer } from './serverCommand';

const DEMO_RENDITIONS = ['mp4-720p', 'mp4-360p', 'webm-720p'];

/** 20 s of moving test pattern with a beeping tone, keyframes every 2 s. */
async function makeSample(dir: string): Promise<string> {
  const file = path.join(dir, 'sample-20s-720p30.mp4');
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.partial.mp4`;
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=20',
    '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=48000:duration=20',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', partial,
  ]);
  const { rename } = await import('node:fs/promises');
  await rename(partial, file);
  return file;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('transcode a sample on the embedded defaults: starts the dev server and a worker when needed')
    .option('--source <file>', 'transcode this file instead of the generated sample')
    .option('-r, --rendition <preset>', `rendition preset; repeatable (default ${DEMO_RENDITIONS.join(', ')})`, collect, [] as string[])
    .option('--segment-seconds <n>', 'target shard length in seconds', '4')
    .option('--package <formats>', 'adaptive streaming instead of files (hls, dash or hls,dash; the default ladder), then print how to watch it')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (opts: { source?: string; rendition: string[]; segmentSeconds: string; package?: string; json?: boolean }) => {
        const config = loadConfig();
        const say = (line: string): void => void process.stderr.write(`shardflow: ${line}\n`);
        await ensureDevServer(config, say);
        const source = opts.source ? sourceUrl(opts.source) : fileUrl(await makeSample(path.join(config.dataDir, 'samples')));
        const jobId = newJobId();
        const outDir = path.join(config.dataDir, 'outputs', jobId);
        const output = `${fileUrl(outDir)}/`;
        if (opts.package !== undefined && opts.rendition.length > 0) throw new CliError('--package makes the renditions from the ladder; leave out --rendition', ExitCode.Usage);
        say(`source ${source}`);
        const workers = await startWorkers({ config });
        const client = await connectClient(config);
        try {
          const what = opts.package !== undefined ? { package: opts.package } : { renditions: opts.rendition.length > 0 ? opts.rendition : DEMO_RENDITIONS };
          const code = await runJob(client, config, { source, output, jobId, ...what, segmentSeconds: Number(opts.segmentSeconds) }, { wait: true, json: opts.json === true });
          // The preview page plays the package in a browser, with the ladder and rung switching.
          if (code === 0 && opts.package !== undefined) say(`watch it: npx shardflow preview ${outDir}`);
          return code;
        } finally {
          await workers.shutdown();
          await client.connection.close();
        }
      }),
    );
}
