// The frames around a rendition's shard cuts against the source's frames at
// the same grid times, at low resolution: every seam, or one part of them.
// verifyRendition and verifySeams both judge seams through this.
import type { SeamFacts } from '../core/contracts';
import type { VideoInfo } from '../core/media/mediaInfo';
import type { OutputStream } from '../media/inspect';
import { compareSeams } from '../media/seamComparison';
import type { Stores } from '../storage/stores';
import { cancellationSignal, heartbeating, mediaFailure } from './activityKit';
import { seamCutsOf } from './shardPlanStore';
import { withSource } from './sourceAccess';

/** Bad seams named one by one in the error; the rest are counted. */
const MAX_SEAMS_NAMED = 3;

export interface SeamCheck {
  stores: Stores;
  scratch: string;
  /** The merged output: a local path, or the range server's URL for a remote one. */
  file: string;
  /** Its video's start, frame count and size. */
  video: Pick<OutputStream, 'startTime' | 'packets' | 'width' | 'height'>;
  sourceVideo: VideoInfo;
  facts: SeamFacts;
  fps: string;
  threads: number;
}

/** One sentence per bad seam of the part `facts.range` names (every seam without one); empty when all are right. */
export async function checkSeams({ stores, scratch, file, video, sourceVideo: sv, facts, fps, threads }: SeamCheck): Promise<string[]> {
  const all = await seamCutsOf(stores, facts, scratch);
  const first = facts.range?.first ?? 0;
  const cuts = facts.range ? all.slice(first, first + facts.range.count) : all;
  if (cuts.length === 0) return [];
  const result = await withSource(stores.for(facts.source), facts.source, scratch, ({ input: source }) => heartbeating(async () => {
    try {
      return await compareSeams({
        source,
        videoStream: sv.index,
        fps,
        gridStart: facts.gridStart,
        cuts,
        firstSeam: first + 1,
        sourceSeconds: sv.endTime - sv.startTime,
        sourceKeyframes: sv.keyframeCount,
        outputs: [file],
        outputStart: video.startTime,
        outputFrames: video.packets,
        width: video.width ?? 0,
        height: video.height ?? 0,
        judgement: { noFloor: facts.watermarked },
        threads,
        signal: cancellationSignal(),
      });
    } catch (err) {
      throw mediaFailure('comparing the frames at the shard seams with the source', err);
    }
  }));
  const problems = result.problems[0];
  if (problems.length <= MAX_SEAMS_NAMED) return problems;
  return [...problems.slice(0, MAX_SEAMS_NAMED), `${problems.length - MAX_SEAMS_NAMED} more of the ${result.seams} seams are wrong too`];
}
