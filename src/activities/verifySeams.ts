// One part of a rendition's seams, for a job with more seams than one task
// should compare: the same judgement as verifyRendition's, so a wrong frame at
// any seam fails the job for good and nothing is published.
import type { VerifySeamsInput, VerifySeamsResult } from '../core/contracts';
import { ErrorType, permanentError } from '../core/errors';
import { inspectOutput, videoStreamOf } from '../media/inspect';
import type { ActivityDeps } from './deps';
import { cancellationSignal, withScratch } from './activityKit';
import { checkSeams } from './seamVerification';
import { withSource } from './sourceAccess';

export function verifySeams({ config, stores }: ActivityDeps) {
  return async function verifySeams(input: VerifySeamsInput): Promise<VerifySeamsResult> {
    const { rendition, source, seams } = input;
    const last = seams.range.first + seams.range.count;
    const what = `rendition ${rendition.name} failed verification at seams ${seams.range.first + 1} to ${last}`;
    // A remote output is read by range: each part fetches the header and the bytes around its seams, not the file.
    return withScratch(config.scratchDir, (scratch) => withSource(stores.for(input.url), input.url, scratch, async ({ input: file, bytesRead }) => {
      // The header is enough here: verifyRendition counts the packets and checks them against the same number.
      const video = videoStreamOf(await inspectOutput(file, cancellationSignal(), { countPackets: false }));
      if (!video || !source.video) throw permanentError(ErrorType.VerifyFailed, `${what}: the video stream is missing`);
      const problems = await checkSeams({
        stores, scratch, file, video: { ...video, packets: input.expectedFrames }, sourceVideo: source.video, facts: seams, fps: input.fps, threads: config.verifyThreads,
      });
      if (problems.length > 0) throw permanentError(ErrorType.VerifyFailed, `${what}: ${problems.join('; ')}`);
      return { bytesRead: bytesRead() };
    }));
  };
}
