// The sample's `m3u8` dst format: the merged MP4, already verified frame for
// frame, repackaged as an HLS VOD (TS segments + one media playlist) by stream
// copy, read back through the playlist, then published segments first and the
// playlist last, so no reader finds a playlist naming a segment not yet there.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from '../activities/activityKit';
import { joinObjectUrl } from '../core/objectUrl';
import { runFfmpeg } from '../media/ffmpeg';
import { hlsPlaylistName, hlsVodArgs } from '../media/hlsVodArgs';
import { inspectOutput } from '../media/inspect';
import { checkRepackaged } from './deliveryOutput';
import type { FunctionDeps } from './videoSample';

/** Segment length players are handed; the encoder's 2 s GOP puts a keyframe on every boundary. */
export const HLS_SEGMENT_SECONDS = 4;

export interface HlsOutput {
  /** The verified MP4 in the work area. */
  merged: string;
  frames: number;
  expectAudio: boolean;
  /** Folder URL the playlist and its segments are published into. */
  folder: string;
  base: string;
}

/** Publishes the HLS presentation; returns the playlist's URL. */
export async function publishHls(deps: FunctionDeps, o: HlsOutput): Promise<{ playlist: string; segments: number }> {
  return withScratch(deps.config.scratchDir, async (dir) => {
    const input = await deps.stores.for(o.merged).localPath(o.merged, dir);
    const out = path.join(dir, 'hls');
    await fs.mkdir(out);
    await heartbeating(async (report) => {
      try {
        await runFfmpeg(hlsVodArgs({ input, dir: out, base: o.base, segmentSeconds: HLS_SEGMENT_SECONDS }), { signal: cancellationSignal(), onProgress: report });
      } catch (err) {
        throw mediaFailure(`packaging ${o.merged} as HLS`, err);
      }
    });
    const playlistFile = path.join(out, hlsPlaylistName(o.base));
    checkRepackaged(await inspectOutput(playlistFile, cancellationSignal()), 'HLS', o.merged, o.frames, o.expectAudio);
    const segments = (await fs.readdir(out)).filter((f) => f.endsWith('.ts')).sort();
    const store = deps.stores.for(o.folder);
    for (const name of segments) await store.putFile(joinObjectUrl(o.folder, name), path.join(out, name));
    const playlist = joinObjectUrl(o.folder, hlsPlaylistName(o.base));
    await store.putFile(playlist, playlistFile);
    return { playlist, segments: segments.length };
  });
}
