// Where a job keeps its intermediate objects. Keys are fixed by job, shard and
// rendition, so a retried activity overwrites its own earlier attempt.
import { joinObjectUrl } from '../core/objectUrl';
import { SHARD_EXTENSION, audioExtension } from '../media/ffmpegArgs';
import { tileFileName } from '../media/thumbnailArgs';
import type { RenditionSpec } from '../core/job/rendition';

function pad(index: number): string {
  return String(index).padStart(6, '0');
}

export const workArea = {
  sourceShard: (workUrl: string, index: number): string => joinObjectUrl(workUrl, `shards/${pad(index)}.nut`),
  videoShard: (workUrl: string, rendition: string, index: number): string =>
    joinObjectUrl(workUrl, `video/${rendition}/${pad(index)}.${SHARD_EXTENSION}`),
  audio: (workUrl: string, rendition: RenditionSpec): string =>
    joinObjectUrl(workUrl, `audio/${rendition.name}.${audioExtension(rendition.audio)}`),
  /** Streaming output: every file of the package, under `stream/` by its name in the output (e.g. "720p/seg-00003.m4s"). */
  stream: (workUrl: string, name: string): string => joinObjectUrl(workUrl, `stream/${name}`),
  output: (workUrl: string, rendition: RenditionSpec): string => joinObjectUrl(workUrl, `out/${rendition.name}.${rendition.container}`),
  /**
   * One split's shard plan (see shardPlanStore). Named per split: a job id may be used again once its job has
   * ended, and workers keep plans they read by URL.
   */
  plan: (workUrl: string, splitId: string): string => joinObjectUrl(workUrl, `shard-plan-${splitId}.json`),
  /** Streaming output: thumbnail tile k as its shard wrote it, before package puts it on a sprite sheet. */
  tile: (workUrl: string, k: number): string => joinObjectUrl(workUrl, `thumbs/${tileFileName(k)}`),
};
