// Streaming output: the source's text subtitles, converted to WebVTT by one
// activity that runs beside the shard encodes. A source without text
// subtitles schedules nothing, so its history is what it was before
// subtitles were carried.
import type { MediaInfo, SubtitleRendition } from '../core/contracts';
import { planSubtitles, type SubtitlePlan } from '../core/media/subtitleTracks';
import { mediaOptions } from './activityOptions';
import type { JobRun } from './jobRun';

export interface SubtitleWork {
  plan: SubtitlePlan;
  /** The WebVTT renditions, once converted; [] without text tracks. */
  converted: Promise<SubtitleRendition[]>;
}

/** Starts converting the text tracks onto the video's timeline (`grid`: source seconds of frame 0, length). */
export function startSubtitles(run: JobRun, source: MediaInfo, grid: { start: number; seconds: number }): SubtitleWork {
  const plan = planSubtitles(source.subtitles);
  const converted =
    plan.tracks.length === 0
      ? Promise.resolve([])
      : run.media.extractSubtitles.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: `subtitles · ${plan.tracks.length} text track${plan.tracks.length > 1 ? 's' : ''}` }, [
          { workUrl: run.workUrl, source: run.job.source, tracks: plan.tracks, grid },
        ]);
  return { plan, converted };
}

/** Waits for both, so a failure of either never leaves the other running while the job cleans its work area. */
export async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** What manifest.json's "stream" says about subtitles; nothing for a source without any. */
export function subtitleManifest(plan: SubtitlePlan, converted: SubtitleRendition[]): Record<string, unknown> {
  return {
    ...(converted.length > 0
      ? {
          subtitles: converted.map((s) => ({
            name: s.name,
            label: s.label,
            language: s.lang,
            sourceStream: s.index,
            sourceCodec: s.codec,
            default: s.default,
            forced: s.forced,
            file: s.file,
            cues: s.cues,
            cutBefore: s.cutBefore,
            cutAfter: s.cutAfter,
            clamped: s.clamped,
          })),
        }
      : {}),
    ...(plan.skipped.length > 0 ? { skippedSubtitles: plan.skipped } : {}),
  };
}
