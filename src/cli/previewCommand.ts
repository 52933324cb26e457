// `shardflow preview <output>`: plays a streaming package in a browser page,
// with its ladder and a rung picker.
import type { Command } from 'commander';
import { startPreviewServer } from '../preview/previewServer';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('serve a streaming package folder (transcode --package hls,dash) with a page that plays it and switches rungs')
    .argument('<output>', 'the package folder: a local path or file:// URL')
    .option('--port <n>', 'port to listen on (default: any free one)')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .action(
      commandAction(async (output: string, opts: { port?: string; host: string }) => {
        const port = opts.port === undefined ? 0 : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, got ${JSON.stringify(opts.port)}`, ExitCode.Usage);
        const folder = output.startsWith('file://') ? new URL(output).pathname : output;
        let server;
        try {
          server = await startPreviewServer({ folder, port, host: opts.host });
        } catch (err) {
          throw new CliError((err as Error).message, ExitCode.Usage);
        }
        process.stdout.write(`preview of ${folder}: ${server.url} (HLS) and ${server.url}?format=dash (DASH); Ctrl-C stops it\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await server.close();
      }),
    );
}
