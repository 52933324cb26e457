// HLS playlists of a streaming package: one media playlist per rung and for
// the audio group (fMP4 segments, EXT-X-MAP init), and the master playlist
// listing every rung with what it measured.
import { segmentFileName, INIT_SEGMENT } from '../media/cmafArgs';
import { subtitleMediaTags, SUBTITLE_GROUP, type SubtitleEntry } from './subtitleManifests';
import type { TrackTimeline } from './trackTimeline';

export const MASTER_PLAYLIST = 'master.m3u8';
export const MEDIA_PLAYLIST = 'index.m3u8';
export const AUDIO_GROUP = 'audio';

export function mediaPlaylist(t: TrackTimeline): string {
  const seconds = t.durations.map((d) => d / t.timescale);
  // Each EXTINF rounded to the nearest integer must not exceed the target duration (RFC 8216 4.3.3.1).
  const target = Math.max(1, ...seconds.map((s) => Math.round(s)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${t.firstNumber}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${INIT_SEGMENT}"`,
  ];
  seconds.forEach((s, i) => lines.push(`#EXTINF:${s.toFixed(6)},`, segmentFileName(t.firstNumber + i)));
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

export interface MasterRung {
  name: string;
  /** Peak and average of the rung's video plus the audio group's. */
  bandwidth: number;
  averageBandwidth: number;
  /** Video codec, and the audio's when there is audio. */
  codecs: string;
  width: number;
  height: number;
  frameRate: string;
}

export interface MasterAudio {
  name: string;
  channels: number;
}

export function masterPlaylist(rungs: MasterRung[], audio: MasterAudio | undefined, subtitles: SubtitleEntry[] = []): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME="${audio.name}",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="${audio.channels}",URI="${audio.name}/${MEDIA_PLAYLIST}"`,
    );
  }
  lines.push(...subtitleMediaTags(subtitles, MEDIA_PLAYLIST));
  for (const r of rungs) {
    const attrs = [
      `BANDWIDTH=${r.bandwidth}`,
      `AVERAGE-BANDWIDTH=${r.averageBandwidth}`,
      `CODECS="${r.codecs}"`,
      `RESOLUTION=${r.width}x${r.height}`,
      `FRAME-RATE=${r.frameRate}`,
      ...(audio ? [`AUDIO="${AUDIO_GROUP}"`] : []),
      ...(subtitles.length > 0 ? [`SUBTITLES="${SUBTITLE_GROUP}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${r.name}/${MEDIA_PLAYLIST}`);
  }
  lines.push('');
  return lines.join('\n');
}
