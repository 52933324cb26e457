// Checks a valid job against what the probed source actually holds. Pure.
import { invalidJob } from '../errors';
import { redactUrl } from '../objectUrl';
import type { MediaInfo } from '../media/mediaInfo';
import type { TranscodeJob } from './jobInput';
import { checkShardCount } from './limits';
import { MIN_SHARD_SECONDS } from '../media/shardLengths';

/** Audio codecs each container accepts when the source audio is copied unchanged. */
const COPYABLE_AUDIO: Record<string, string[]> = {
  mp4: ['aac', 'mp3', 'opus', 'flac', 'alac', 'ac3', 'eac3'],
  webm: ['opus', 'vorbis'],
  mkv: [],
};
const COPYABLE_VIDEO: Record<string, string[]> = {
  mp4: ['h264', 'hevc', 'av1', 'vp9', 'mpeg4'],
  webm: ['vp8', 'vp9', 'av1'],
  mkv: [],
};

export function checkAgainstSource(job: TranscodeJob, info: MediaInfo): void {
  // Lengths chosen from the slots are never shorter than MIN_SHARD_SECONDS.
  if (info.video) checkShardCount(info.duration, job.segmentSeconds ?? MIN_SHARD_SECONDS, job.maxShards);
  if (job.stream && !info.video) throw invalidJob(`streaming output ("package") needs a video stream; ${redactUrl(job.source)} has none`);
  for (const r of job.renditions) {
    const a = info.audio;
    // An audio-only source with a rendition that drops audio has nothing to write: without this check the
    // merge fails ("does not contain any stream") and is retried with backoff like a transient error.
    if (!info.video && r.audio.codec === 'none') {
      throw invalidJob(`rendition ${r.name} would be empty: the source has no video stream and the rendition drops the audio`);
    }
    if (r.audio.codec === 'copy' && a && COPYABLE_AUDIO[r.container].length > 0 && !COPYABLE_AUDIO[r.container].includes(a.codec)) {
      throw invalidJob(`rendition ${r.name}: ${r.container} cannot carry the source's ${a.codec} audio unchanged; use audio codec "aac" or "opus"`);
    }
    const v = info.video;
    if (r.video.codec === 'copy' && v && COPYABLE_VIDEO[r.container].length > 0 && !COPYABLE_VIDEO[r.container].includes(v.codec)) {
      throw invalidJob(`rendition ${r.name}: ${r.container} cannot carry the source's ${v.codec} video unchanged; pick an encoder`);
    }
  }
}
