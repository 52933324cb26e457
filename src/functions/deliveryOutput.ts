// The samples' `flv`, `mov` and `avi` dst formats: the merged MP4, already
// verified frame for frame, carried over into that container (see
// media/deliveryArgs.ts), read back with ffprobe (same video frame count,
// audio kept) and only then written to its key.
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from '../activities/activityKit';
import { ErrorType, permanentError } from '../core/errors';
import { deliveryArgs, type DeliveryFormat } from '../media/deliveryArgs';
import { runFfmpeg } from '../media/ffmpeg';
import { audioStreamOf, inspectOutput, videoStreamOf, type OutputInfo } from '../media/inspect';
import * as path from 'node:path';
import type { FunctionDeps } from './videoSample';

export interface DeliveryOutput {
  /** The verified MP4 in the work area. */
  merged: string;
  frames: number;
  expectAudio: boolean;
  format: DeliveryFormat;
  /** Object URL the file is written to. */
  target: string;
}

/** A repackaged copy of the merged file must play the same frames and keep (or lack) audio as the merged file does. */
export function checkRepackaged(read: OutputInfo, what: string, merged: string, frames: number, expectAudio: boolean): void {
  const played = videoStreamOf(read)?.packets ?? 0;
  if (played !== frames) {
    throw permanentError(ErrorType.VerifyFailed, `${what} of ${merged}: it plays ${played} video frames, the merged file has ${frames}`);
  }
  if (expectAudio !== (audioStreamOf(read) !== undefined)) {
    throw permanentError(ErrorType.VerifyFailed, `${what} of ${merged}: audio ${expectAudio ? 'missing from' : 'found in'} it`);
  }
}

export async function publishDelivery(deps: FunctionDeps, o: DeliveryOutput): Promise<void> {
  await withScratch(deps.config.scratchDir, async (dir) => {
    const input = await deps.stores.for(o.merged).localPath(o.merged, dir);
    const out = path.join(dir, `delivery.${o.format}`);
    await heartbeating(async (report) => {
      try {
        await runFfmpeg(deliveryArgs(input, out, o.format), { signal: cancellationSignal(), onProgress: report });
      } catch (err) {
        throw mediaFailure(`carrying ${o.merged} over into ${o.format}`, err);
      }
    });
    checkRepackaged(await inspectOutput(out, cancellationSignal()), o.format.toUpperCase(), o.merged, o.frames, o.expectAudio);
    await deps.stores.for(o.target).putFile(o.target, out);
  });
}
