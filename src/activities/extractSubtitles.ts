// Streaming output: every text subtitle track of the source becomes one
// WebVTT file in the work area, on the package's timeline (time 0 is the
// first video frame on the job grid). One ffmpeg per track, all at once: it is
// small work, and it runs beside the shard encodes.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ExtractSubtitlesInput, SubtitleRendition } from '../core/contracts';
import { permanentError, ErrorType } from '../core/errors';
import { runFfmpeg } from '../media/ffmpeg';
import { webVttArgs } from '../media/subtitleArgs';
import { subtitleFile } from '../stream/subtitleManifests';
import { parseWebVtt, placeCues, webVttText, TIMESTAMP_MAP } from '../stream/webvtt';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { ActivityDeps } from './deps';
import { withSource } from './sourceAccess';
import { workArea } from './workArea';

export function extractSubtitles({ config, stores }: ActivityDeps) {
  return async function extractSubtitles(input: ExtractSubtitlesInput): Promise<SubtitleRendition[]> {
    const work = stores.for(input.workUrl);
    const durationMs = input.grid.seconds * 1000;
    return withScratch(config.scratchDir, (scratch) =>
      withSource(stores.for(input.source), input.source, scratch, ({ input: file }) =>
        heartbeating(() =>
          Promise.all(
            input.tracks.map(async (track): Promise<SubtitleRendition> => {
              const what = `subtitle stream ${track.index} (${track.codec}) of ${input.source}`;
              const converted = path.join(scratch, `${track.name}.vtt`);
              try {
                await runFfmpeg(webVttArgs(file, track.index, converted), { signal: cancellationSignal() });
              } catch (err) {
                throw mediaFailure(`converting ${what} to WebVTT`, err, { url: input.source, file });
              }
              let cues;
              try {
                cues = parseWebVtt(await fs.readFile(converted, 'utf8'), `${what} as ffmpeg converted it`);
              } catch (err) {
                throw permanentError(ErrorType.InvalidMedia, (err as Error).message);
              }
              const placed = placeCues(cues, input.grid.start * 1000, durationMs);
              const text = webVttText(placed.cues, [TIMESTAMP_MAP]);
              const name = subtitleFile(track.name);
              await work.putText(workArea.stream(input.workUrl, name), text);
              return { ...track, file: name, cues: placed.cues.length, cutBefore: placed.cutBefore, cutAfter: placed.cutAfter, clamped: placed.clamped, bytes: Buffer.byteLength(text) };
            }),
          ),
        ),
      ),
    );
  };
}
