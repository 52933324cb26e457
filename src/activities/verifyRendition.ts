// Checks an output before it may be published: frame count, duration, frame
// rate, audio layout, orientation, A/V alignment, and the frames around every
// shard cut against the source's. A failure here is a bug or a broken source,
// never something a retry fixes.
import type { RenditionReport, SeamFacts, VerifyInput } from '../core/contracts';
import { ErrorType, permanentError } from '../core/errors';
import type { VideoInfo } from '../core/media/mediaInfo';
import { parseRational, toNumber } from '../core/media/rational';
import { frameRateProblem } from '../media/frameRateCheck';
import { audioStreamOf, inspectOutput, videoStreamOf, type OutputStream } from '../media/inspect';
import { compareSeams } from '../media/seamComparison';
import type { Stores } from '../storage/stores';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import { seamCutsOf } from './shardPlanStore';
import { withSource } from './sourceAccess';

export function verifyRendition({ config, stores }: ActivityDeps) {
  return async function verifyRendition(input: VerifyInput): Promise<RenditionReport> {
    const { rendition, source } = input;
    return withScratch(config.scratchDir, async (scratch) => {
      const file = await stores.for(input.url).localPath(input.url, scratch);
      const out = await inspectOutput(file);
      const problems: string[] = [];
      const video = videoStreamOf(out);
      const audio = audioStreamOf(out);
      const sv = source.video;

      if (sv && !video) problems.push('the video stream is missing');
      if (!sv && video) problems.push('it has a video stream the source lacks');
      if (sv && video) {
        const fps = toNumber(parseRational(input.fps ?? sv.frameRate) ?? { num: 25, den: 1 });
        const frame = 1 / fps;
        const expectedFrames = rendition.video.codec === 'copy' ? sv.frameCount : input.shardFrames;
        if (expectedFrames !== undefined && video.packets !== expectedFrames) {
          problems.push(`it has ${video.packets} video frames, the shards hold ${expectedFrames}`);
        }
        if (rendition.video.codec !== 'copy' && input.expectedFrames !== undefined && video.packets !== input.expectedFrames) {
          problems.push(`it has ${video.packets} video frames, a single pass over the source's grid gives ${input.expectedFrames}`);
        }
        const sourceDuration = sv.endTime - sv.startTime;
        if (Math.abs(video.duration - sourceDuration) > frame + 0.002) {
          problems.push(`its video lasts ${video.duration.toFixed(3)} s, the source ${sourceDuration.toFixed(3)} s (more than one frame apart)`);
        }
        if (rendition.video.codec !== 'copy') {
          const rateProblem = frameRateProblem({ output: video.frameRate, sourceRate: sourceFrameRate(sv), asked: rendition.video.fps });
          if (rateProblem) problems.push(rateProblem);
          const portrait = (sv.rotation === 90 || sv.rotation === 270) === sv.width > sv.height;
          const outPortrait = (video.height ?? 0) > (video.width ?? 0);
          if (video.rotation !== 0) problems.push(`it still carries a ${video.rotation}° rotation flag`);
          if (sv.width !== sv.height && portrait !== outPortrait) problems.push('its orientation does not match the upright source');
        }
        if (audio && source.audio) {
          const want = sv.startTime - source.audio.startTime;
          const got = video.startTime - audio.startTime;
          if (Math.abs(want - got) > frame + 0.03) {
            problems.push(`audio and video start ${(got * 1000).toFixed(0)} ms apart, the source ${(want * 1000).toFixed(0)} ms`);
          }
        }
      }
      if (sv && video && input.seams && rendition.video.codec !== 'copy') {
        problems.push(...(await checkSeams(stores, scratch, file, video, sv, input.seams, input.fps ?? sv.frameRate, config.verifyThreads)));
      }
      if (input.expectAudio && !audio) problems.push('the audio stream is missing');
      if (!input.expectAudio && audio) problems.push('it has audio although none was asked for or the source has none');

      if (problems.length > 0) {
        throw permanentError(ErrorType.VerifyFailed, `rendition ${rendition.name} failed verification: ${problems.join('; ')}`);
      }
      return {
        name: rendition.name,
        file: `${rendition.name}.${rendition.container}`,
        size: out.size,
        duration: out.duration,
        videoCodec: video?.codec,
        audioCodec: audio?.codec,
        width: video?.width,
        height: video?.height,
        frames: video?.packets ?? 0,
        fps: video ? (input.fps ?? sv?.frameRate) : undefined,
      };
    });
  };
}

/** Bad seams named one by one in the error; the rest are counted. */
const MAX_SEAMS_NAMED = 3;

/** Decoded frames per second of the source's span, when it has two frames or more. */
function sourceFrameRate(v: VideoInfo): number | undefined {
  const span = v.endTime - v.startTime;
  return v.frameCount > 1 && span > 0 ? v.frameCount / span : undefined;
}

/** The frames around every cut against the source's frames at the same grid times, at low resolution. */
async function checkSeams(
  stores: Stores,
  scratch: string,
  file: string,
  video: OutputStream,
  sv: VideoInfo,
  facts: SeamFacts,
  fps: string,
  threads: number,
): Promise<string[]> {
  const cuts = await seamCutsOf(stores, facts, scratch);
  if (cuts.length === 0) return [];
  const result = await withSource(stores.for(facts.source), facts.source, scratch, ({ input: source }) => heartbeating(async () => {
    try {
      return await compareSeams({
        source,
        videoStream: sv.index,
        fps,
        gridStart: facts.gridStart,
        cuts,
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
