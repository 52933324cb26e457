// `shardflow transcode`: start a job from the command line.
import type { Command } from 'commander';
import { loadConfig } from '../config';
import type { TranscodeJobInput } from '../core/job/jobInput';
import { checkThumbnailSeconds } from '../core/job/thumbnails';
import { connectClient } from '../temporalConnection';
import { commandAction } from './commandAction';
import { runJob } from './jobRunner';
import { outputUrl, sourceUrl } from './objectArgs';
import { CliError, ExitCode } from './exitCodes';
import { collect, parseRendition, parseSeconds, RENDITION_HELP } from './renditionArgs';

/** "1080,720,480" → [1080, 720, 480]; the job's validation checks the values. */
function parseLadder(arg: string): number[] {
  const heights = arg.split(',').map((s) => Number(s.trim().replace(/p$/i, '')));
  if (heights.some((h) => !Number.isFinite(h))) throw new CliError(`--ladder must list heights such as 1080,720,480, got ${JSON.stringify(arg)}`, ExitCode.Usage);
  return heights;
}

/** --thumbnail-seconds, checked as the job checks it, so a bad value starts nothing. */
function thumbnailSecondsArg(arg: string | undefined): number | undefined {
  const seconds = parseSeconds(arg, '--thumbnail-seconds');
  try {
    checkThumbnailSeconds(seconds);
  } catch (err) {
    throw new CliError(`--thumbnail-seconds: ${(err as Error).message.replace(/^invalid job: /, '')}`, ExitCode.Usage);
  }
  return seconds;
}

interface TranscodeOptions {
  output: string;
  rendition: string[];
  segmentSeconds?: string;
  jobId?: string;
  watermarkText?: string;
  watermarkImage?: string;
  wait?: boolean;
  json?: boolean;
  package?: string;
  ladder?: string;
  streamSegmentSeconds?: string;
  ladderCodec?: string;
  thumbnailSeconds?: string;
  /** false with --no-thumbnails. */
  thumbnails: boolean;
}

export function registerTranscode(program: Command): void {
  program
    .command('transcode')
    .description('transcode a video into one or more renditions')
    .argument('<source>', 'local file, file:///abs/path, or a key in the local store')
    .requiredOption('-o, --output <prefix>', 'output prefix: a local folder (./out) or an object URL')
    .option('-r, --rendition <preset|json>', RENDITION_HELP, collect, [] as string[])
    .option('--segment-seconds <n>', 'target shard length in seconds (default: chosen from the source and the media slots)')
    .option('--package <formats>', 'adaptive streaming output instead of files: hls, dash or hls,dash (see docs/streaming.md)')
    .option('--ladder <heights>', 'streaming rungs, e.g. 1080,720,480,360 (the default); rungs above the source are dropped')
    .option('--stream-segment-seconds <n>', 'streaming segment length, 2 to 6 (default 4); shards hold whole segments')
    .option('--ladder-codec <codec>', 'streaming rungs\' video codec: h264 (the default, plays everywhere), h265 or av1')
    .option('--thumbnail-seconds <n>', 'streaming: seconds between thumbnails (poster, sprite sheets, WebVTT storyboard), 1 to 60 (default 2)')
    .option('--no-thumbnails', 'streaming: make no poster, sprite sheets or storyboard')
    .option('--job-id <id>', 'job id (default: generated)')
    .option('--watermark-text <text>', 'draw this text on every frame')
    .option('--watermark-image <url>', 'overlay this PNG on every frame')
    .option('--wait', 'follow the job with a progress bar and exit non-zero if it fails')
    .option('--json', 'print machine-readable JSON on stdout')
    .addHelpText('after', '\nExamples:\n  shardflow transcode clip.mp4 -o ./out -r mp4-720p -r webm-720p --wait\n  shardflow transcode clip.mp4 -o ./stream --package hls,dash --ladder 720,480,360 --wait\n')
    .action(
      commandAction(async (source: string, opts: TranscodeOptions) => {
        const input: TranscodeJobInput = {
          source: sourceUrl(source),
          output: outputUrl(opts.output),
          renditions: opts.rendition.length > 0 ? opts.rendition.map(parseRendition) : undefined,
          segmentSeconds: parseSeconds(opts.segmentSeconds),
          jobId: opts.jobId,
        };
        if (opts.package !== undefined) {
          if (opts.rendition.length > 0) throw new CliError('--package makes the renditions from --ladder; leave out --rendition', ExitCode.Usage);
          input.package = opts.package;
          input.ladder = opts.ladder === undefined ? undefined : parseLadder(opts.ladder);
          input.streamSegmentSeconds = parseSeconds(opts.streamSegmentSeconds, '--stream-segment-seconds');
          input.ladderCodec = opts.ladderCodec as TranscodeJobInput['ladderCodec'];
          input.thumbnailSeconds = opts.thumbnails ? thumbnailSecondsArg(opts.thumbnailSeconds) : 0;
        } else if (opts.ladder !== undefined || opts.streamSegmentSeconds !== undefined || opts.ladderCodec !== undefined || opts.thumbnailSeconds !== undefined || !opts.thumbnails) {
          throw new CliError('--ladder, --ladder-codec, --stream-segment-seconds, --thumbnail-seconds and --no-thumbnails need --package hls,dash', ExitCode.Usage);
        }
        if (opts.watermarkText !== undefined || opts.watermarkImage !== undefined) {
          input.watermark = { text: opts.watermarkText, image: opts.watermarkImage && sourceUrl(opts.watermarkImage) };
        }
        const config = loadConfig();
        const client = await connectClient(config);
        try {
          return await runJob(client, config, input, { wait: opts.wait === true, json: opts.json === true });
        } finally {
          await client.connection.close();
        }
      }),
    );
}
