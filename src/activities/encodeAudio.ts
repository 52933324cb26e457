// Encodes a rendition's audio once from the whole source, in parallel with the
// video shards: per-shard AAC would add a priming gap at every boundary.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SCRATCH_PLAYLIST, segmentAudioArgs } from '../media/cmafArgs';
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
          await runFfmpeg(encodeAudioArgs({ input: file, audioStream: input.audioStream, sourceChannels: input.sourceChannels, audio: input.rendition.audio, output: out, grid: input.grid }), {
            signal: cancellationSignal(),
            onProgress: report,
          });
        } catch (err) {
          throw mediaFailure(`encoding the audio of ${input.rendition.name}`, err, { url: input.source, file });
        }
      }));
      const work = stores.for(input.workUrl);
      if (input.segmentSeconds !== undefined) {
        // Streaming output: the one encode cut into segments (stream copy), so no segment starts with priming.
        const dir = path.join(scratch, 'segments');
        await fs.mkdir(dir);
        try {
          await runFfmpeg(segmentAudioArgs(out, input.segmentSeconds, dir), { signal: cancellationSignal() });
        } catch (err) {
          throw mediaFailure(`segmenting the audio of ${input.rendition.name}`, err);
        }
        for (const f of (await fs.readdir(dir)).filter((n) => n !== SCRATCH_PLAYLIST).sort()) {
          await work.putFile(workArea.stream(input.workUrl, `${input.rendition.name}/${f}`), path.join(dir, f));
        }
      }
      // putFile moves the file: the segments above are cut from it first.
      await work.putFile(target, out);
      return target;
    });
  };
}
