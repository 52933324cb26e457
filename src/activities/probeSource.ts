// Reads the source's streams and timing, and proves ffmpeg can decode it, so
// bad input fails in seconds with ffprobe's own reason.
import { invalidMedia } from '../core/errors';
import { runFfmpeg } from '../media/ffmpeg';
import { probeMediaTimeline, UnreadableMediaError, type MediaInfo } from '../media/probe';
import { toolReason } from '../media/toolFailure';
import { ProcessError } from '../media/runProcess';
import { sourceInput } from '../media/sourceInput';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { ProbeInput } from '../core/contracts';
import { withSource } from './sourceAccess';
import { rememberTimeline, timelineKey } from './timelineMemo';

export function probeSource({ config, stores }: ActivityDeps) {
  return async function probeSource({ source }: ProbeInput): Promise<MediaInfo> {
    const store = stores.for(source);
    const head = await store.head(source);
    if (head.size === 0) throw invalidMedia(source, 'the file is empty (0 bytes)');
    return withScratch(config.scratchDir, (scratch) =>
      withSource(store, source, scratch, ({ input: file }) => heartbeating(async () => {
        let info: MediaInfo;
        try {
          const read = await probeMediaTimeline(file, cancellationSignal());
          info = read.info;
          if (read.timeline && info.video) rememberTimeline(timelineKey(head, info.video.index), read.timeline);
        } catch (err) {
          if (err instanceof UnreadableMediaError) throw invalidMedia(source, `ffprobe: ${err.message}`);
          throw mediaFailure('decoding its video', err, { url: source, file });
        }
        if (!info.video && !info.audio) throw invalidMedia(source, 'it has no video or audio stream');
        if (info.video && info.video.frameCount === 0) throw invalidMedia(source, 'ffmpeg decodes no frame of its video stream');
        await decodeFirstFrames(source, file, info);
        return info;
      })),
    );
  };
}

/** Decodes the first frame of each stream we use: ffprobe accepts some files ffmpeg cannot decode. */
async function decodeFirstFrames(source: string, file: string, info: MediaInfo): Promise<void> {
  const maps = [info.video, info.audio].filter((s) => s !== undefined).flatMap((s) => ['-map', `0:${s.index}`]);
  try {
    await runFfmpeg([...sourceInput(file), ...maps, '-frames:v', '1', '-t', '1', '-f', 'null', '-'], { signal: cancellationSignal() });
  } catch (err) {
    if (err instanceof ProcessError) throw invalidMedia(source, `ffmpeg cannot decode it: ${toolReason(err.stderrTail, file)}`);
    throw mediaFailure(`decoding ${source}`, err);
  }
}
