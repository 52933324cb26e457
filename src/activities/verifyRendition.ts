// Checks an output before it may be published: frame count, duration, frame
// rate, audio layout, orientation, A/V alignment, and the frames around every
// shard cut against the source's (a job with many cuts leaves all but the
// first part of them to verifySeams tasks). A failure here is a bug or a
// broken source, never something a retry fixes.
import type { RenditionReport, VerifyInput } from '../core/contracts';
import { ErrorType, permanentError } from '../core/errors';
import type { VideoInfo } from '../core/media/mediaInfo';
import { parseRational, toNumber } from '../core/media/rational';
import { frameRateProblem } from '../media/frameRateCheck';
import { audioStreamOf, inspectOutput, videoStreamOf } from '../media/inspect';
import type { ActivityDeps } from './deps';
import { withScratch } from './activityKit';
import { checkSeams } from './seamVerification';

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
        problems.push(...(await checkSeams({ stores, scratch, file, video, sourceVideo: sv, facts: input.seams, fps: input.fps ?? sv.frameRate, threads: config.verifyThreads })));
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

/** Decoded frames per second of the source's span, when it has two frames or more. */
function sourceFrameRate(v: VideoInfo): number | undefined {
  const span = v.endTime - v.startTime;
  return v.frameCount > 1 && span > 0 ? v.frameCount / span : undefined;
}
