// Encodes a rendition's audio once from the whole source, in parallel with the
// video shards: per-shard AAC would add a priming gap at every boundary.
import * as path from 'node:path';
import { runFfmpeg } from '../media/ffmpeg';
import { audioExtension, encodeAudioArgs } from '../media/ffmpegArgs';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { EncodeAudioInput } from '../core/contracts';
import { checkFailpoint } from './failpoints';
import { withSource } from './sourceAccess';
import { workArea } from './workArea';

export function encodeAudio({ config, stores }: ActivityDeps) {
  return async function encodeAudio(input: EncodeAudioInput): Promise<string> {
    checkFailpoint('audio', { rendition: input.rendition.name });
    const target = workArea.audio(input.workUrl, input.rendition);
    return withScratch(config.scratchDir, async (scratch) => {
      const out = path.join(scratch, `audio.${audioExtension(input.rendition.audio)}`);
      await withSource(stores.for(input.source), input.source, scratch, ({ input: file }) => heartbeating(async (report) => {
        try {
          await runFfmpeg(encodeAudioArgs({ input: file, audioStream: input.audioStream, sourceChannels: input.sourceChannels, audio: input.rendition.audio, output: out }), {
            signal: cancellationSignal(),
            onProgress: report,
          });
        } catch (err) {
          throw mediaFailure(`encoding the audio of ${input.rendition.name}`, err, { url: input.source, file });
        }
      }));
      await stores.for(input.workUrl).putFile(target, out);
      return target;
    });
  };
}
