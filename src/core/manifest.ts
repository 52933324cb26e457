// manifest.json: what a finished job published and how it was made. Written
// last, so its presence means every output beside it is complete. It sits
// beside the outputs, often where anyone may read it, so URLs in it carry no
// query string or credentials (a presigned URL's signature would let readers
// fetch the source).
import type { MediaInfo, RenditionReport } from './contracts';
import { redactUrl } from './objectUrl';
import type { SplitMode } from './media/shardPlan';

export interface ManifestFacts {
  jobId: string;
  source: string;
  createdAt: string;
  /** The job's fixed shard length; absent when lengths were chosen from the media slots. */
  segmentSeconds?: number;
  splitMode: SplitMode;
  shards: number;
  sourceInfo: MediaInfo;
  renditions: RenditionReport[];
  timingsMs: Record<string, number>;
  /** Streaming output: formats, segment grid, playlists and what every rung measured. */
  stream?: Record<string, unknown>;
}

export function buildManifest(f: ManifestFacts): Record<string, unknown> {
  const video = f.sourceInfo.video;
  const audio = f.sourceInfo.audio;
  return {
    jobId: f.jobId,
    source: redactUrl(f.source),
    createdAt: f.createdAt,
    segmentSeconds: f.segmentSeconds,
    splitMode: f.splitMode,
    shards: f.shards,
    sourceInfo: {
      duration: f.sourceInfo.duration,
      videoCodec: video?.codec,
      width: video?.width,
      height: video?.height,
      rotation: video?.rotation,
      frameRate: video?.frameRate,
      variableFrameRate: video?.variableFrameRate,
      audioCodec: audio?.codec,
    },
    renditions: f.renditions,
    ...(f.stream ? { stream: f.stream } : {}),
    timingsMs: f.timingsMs,
  };
}
