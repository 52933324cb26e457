// A streaming job (HLS + DASH): probe → split on the segment grid → every
// shard × rung writes its own CMAF segments and the audio is encoded once and
// segmented (no merge pass) → package (playlists into the work area) →
// verify → publish segments, then playlists, then manifest.json.
import type { StreamRungSpec } from '../core/contracts';
import { ErrorType, invalidMedia, permanentError } from '../core/errors';
import { gridFrameCount } from '../core/media/frameGrid';
import { parseRational } from '../core/media/rational';
import { joinObjectUrl } from '../core/objectUrl';
import { ladderFor, rungName, rungRendition, segmentFrames, streamShardSegments, STREAM_AUDIO, type StreamPackage } from '../core/job/streamPackage';
import { thumbnailPlan } from '../core/job/thumbnails';
import { mediaOptions } from './activityOptions';
import { jobManifest, probe, shardCountOf, split, transcode, type TranscodeResult } from './jobStages';
import { stage, type JobRun } from './jobRun';
import { bothSettled, startSubtitles, subtitleManifest } from './subtitleStage';

export async function runStreamStages(run: JobRun, pkg: StreamPackage): Promise<TranscodeResult> {
  const source = await probe(run);
  const video = source.video;
  if (!video) throw invalidMedia(run.job.source, 'streaming output needs a video stream');
  const fps = parseRational(video.frameRate);
  if (!fps) throw invalidMedia(run.job.source, `its frame rate ${video.frameRate} cannot be streamed`);
  const turned = video.rotation === 90 || video.rotation === 270;
  const shortSide = Math.min(turned ? video.height : video.width, turned ? video.width : video.height);
  // Rungs above the source are dropped (a source below every rung gets one at its own size). Every rung runs at
  // the source's rate, so a segment boundary is the same grid slot in every rung.
  const renditions = ladderFor(pkg, shortSide).map((h) => run.job.renditions.find((r) => r.name === rungName(h)) ?? rungRendition(h, pkg.codec));
  const streamRun: JobRun = { ...run, job: { ...run.job, renditions } };
  const perSegment = segmentFrames(pkg.segmentSeconds, fps);
  // A shard length from the job is rounded to whole segments; without one the split picks how many segments a
  // shard holds from the media slots it sees.
  const shardLength = run.job.segmentSeconds;
  const cuts = await split(
    streamRun,
    source,
    shardLength === undefined ? { streamSegmentFrames: perSegment } : { shardFrames: perSegment * streamShardSegments(shardLength, pkg.segmentSeconds) },
  );
  const segmentSeconds = (perSegment * fps.den) / fps.num;
  const totalFrames = gridFrameCount(video.grid, fps);
  const videoSeconds = totalFrames / (fps.num / fps.den);
  const grid = { start: video.startTime, seconds: videoSeconds };
  const subtitles = startSubtitles(run, source, grid);
  // The top rung's shard tasks also write the thumbnails of their slots (the frames that rung shows there).
  const thumbnails = thumbnailPlan(pkg.thumbnailSeconds ?? 0, fps, totalFrames, renditions[0].name);
  const [frames, converted] = await bothSettled(transcode(streamRun, source, cuts, { segmentFrames: perSegment, segmentSeconds, audio: STREAM_AUDIO, grid, thumbnails }), subtitles.converted);

  for (const r of renditions) {
    if (frames[r.name] !== totalFrames) throw permanentError(ErrorType.VerifyFailed, `rung ${r.name}: the shards encoded ${frames[r.name]} frames, the job's grid has ${totalFrames}`);
  }
  const geometry = { width: video.width, height: video.height, rotation: video.rotation };
  const rungs: StreamRungSpec[] = renditions.map((r) => ({ name: r.name, rendition: r }));
  const audio = source.audio ? STREAM_AUDIO.name : undefined;
  const subtitleRenditions = converted.length > 0 ? { subtitles: converted } : {};
  const shape = { workUrl: run.workUrl, formats: pkg.formats, fps: video.frameRate, segmentFrames: perSegment, totalFrames, rungs, geometry, audio, ...subtitleRenditions, thumbnails };
  const packaged = await stage(run, 'verifying', 'package', () =>
    run.media.packageStream.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: 'package · playlists' }, [shape]),
  );
  await stage(run, 'verifying', 'verify', () =>
    run.media.verifyStream.executeWithOptions({ ...mediaOptions(run.mediaQueue), summary: 'verify · stream' }, [
      {
        ...shape,
        sourceSeconds: videoSeconds,
        audioSeconds: source.audio ? Math.min(videoSeconds, source.audio.startTime + source.audio.duration - video.startTime) : undefined,
        sourceVideo: video,
        seams: { source: run.job.source, gridStart: video.startTime, planUrl: cuts.planUrl, watermarked: run.job.watermark !== undefined },
      },
    ]),
  );

  const { job, jobId } = run;
  const reports = packaged.rungs.map((r) => ({
    name: r.name,
    file: `${r.name}/`,
    size: r.size,
    duration: r.duration,
    videoCodec: pkg.codec ?? 'h264',
    audioCodec: audio ? 'aac' : undefined,
    width: r.width,
    height: r.height,
    frames: totalFrames,
    fps: video.frameRate,
  }));
  const manifest = jobManifest(run, source, cuts, reports, {
    formats: pkg.formats,
    segmentSeconds,
    segmentFrames: perSegment,
    playlists: packaged.playlists,
    rungs: packaged.rungs,
    audio: packaged.audio,
    ...subtitleManifest(subtitles.plan, converted),
    thumbnails: packaged.thumbnails,
  });
  const published = await stage(run, 'publishing', 'publish', () =>
    run.storage.publishOutputs({ output: job.output, files: [], names: {}, manifest, folder: { url: joinObjectUrl(run.workUrl, 'stream/'), last: packaged.playlists } }),
  );
  return {
    jobId,
    output: job.output,
    manifestUrl: published.manifestUrl,
    shards: shardCountOf(cuts),
    renditions: reports.map((r) => ({ ...r, url: joinObjectUrl(job.output, `${r.name}/index.m3u8`) })),
    stream: {
      hls: pkg.formats.includes('hls') ? joinObjectUrl(job.output, 'master.m3u8') : undefined,
      dash: pkg.formats.includes('dash') ? joinObjectUrl(job.output, 'manifest.mpd') : undefined,
    },
  };
}
