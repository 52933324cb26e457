// The FDL sample's `extract-audio` (its v1 parallel variant): the source's
// audio track, encoded once into a file of its own at
// <output_prefix>/<name>.<format> in the bucket. `audio_format` picks mp3 (the
// sample's, the default) or m4a (AAC); the file is read back with ffprobe
// (audio only, lasting as long as the source's audio) before it is written.
import * as path from 'node:path';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from '../activities/activityKit';
import { probeSource } from '../activities/probeSource';
import { withSource } from '../activities/sourceAccess';
import { ErrorType, invalidJob, invalidMedia, permanentError } from '../core/errors';
import { audioFormats, extractAudioArgs, isAudioFormat, type AudioFormat } from '../media/deliveryArgs';
import { runFfmpeg } from '../media/ffmpeg';
import { audioStreamOf, inspectOutput, videoStreamOf } from '../media/inspect';
import { bucketUrl, formatOf, stringField, type FlowFunction, type FunctionDeps } from './videoSample';

/** An encoder's priming and last-frame padding move the end by well under this. */
const DURATION_TOLERANCE_SECONDS = 0.15;

function audioFormatOf(event: Record<string, unknown>): AudioFormat {
  const raw = event.audio_format ?? 'mp3';
  const format = typeof raw === 'string' ? formatOf(raw) : '';
  if (!isAudioFormat(format)) throw invalidJob(`event field "audio_format" must be one of ${audioFormats().join(', ')}, got ${JSON.stringify(raw)}`);
  return format;
}

export function extractAudio(deps: FunctionDeps): FlowFunction {
  const probe = probeSource(deps);
  return async function extractAudio(event) {
    const bucket = stringField(event, 'oss_bucket_name');
    const videoKey = stringField(event, 'video_key');
    const outputPrefix = typeof event.output_prefix === 'string' ? event.output_prefix : '';
    const format = audioFormatOf(event);
    const source = bucketUrl(deps.flowStore, bucket, videoKey);
    const info = await probe({ source });
    const audio = info.audio;
    if (!audio) throw invalidMedia(source, 'it has no audio stream to extract');
    const key = path.posix.join(outputPrefix.replace(/^\/+/, ''), `${path.posix.parse(videoKey).name}.${format}`);
    const target = bucketUrl(deps.flowStore, bucket, key);
    const store = deps.stores.for(source);
    const read = await withScratch(deps.config.scratchDir, (dir) =>
      withSource(store, source, dir, async ({ input }) => {
        const out = path.join(dir, `audio.${format}`);
        await heartbeating(async (report) => {
          try {
            await runFfmpeg(extractAudioArgs({ input, audioStream: audio.index, format, output: out }), { signal: cancellationSignal(), onProgress: report });
          } catch (err) {
            throw mediaFailure(`extracting the audio of ${source}`, err, { url: source, file: input });
          }
        });
        const written = await inspectOutput(out, cancellationSignal());
        const track = audioStreamOf(written);
        if (!track || track.packets === 0 || videoStreamOf(written)) {
          throw permanentError(ErrorType.VerifyFailed, `the ${format} extracted from ${source} is not one audio track (${written.streams.map((s) => s.type).join(', ') || 'no streams'})`);
        }
        if (Math.abs(track.duration - audio.duration) > DURATION_TOLERANCE_SECONDS) {
          throw permanentError(ErrorType.VerifyFailed, `the ${format} extracted from ${source} lasts ${track.duration} s, the source's audio ${audio.duration} s`);
        }
        await deps.stores.for(target).putFile(target, out);
        return track;
      }),
    );
    return { [`${format}_key`]: key, audio_key: key, format, duration: read.duration, frames: read.packets };
  };
}
