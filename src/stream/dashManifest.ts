// The DASH MPD of a streaming package: a static, on-demand presentation over
// the same CMAF segments the HLS playlists name, one SegmentTimeline per
// track with the segments' exact start times and durations.
import { INIT_SEGMENT } from '../media/cmafArgs';
import { dashTextSets, type SubtitleEntry } from './subtitleManifests';
import type { TrackTimeline } from './trackTimeline';

export const DASH_MANIFEST = 'manifest.mpd';

export interface DashVideo {
  timeline: TrackTimeline;
  bandwidth: number;
  codecs: string;
  width: number;
  height: number;
}

export interface DashAudio {
  timeline: TrackTimeline;
  bandwidth: number;
  codecs: string;
  channels: number;
}

/** ISO 8601 duration of whole milliseconds, e.g. PT20.000S. */
function isoSeconds(seconds: number): string {
  return `PT${seconds.toFixed(3)}S`;
}

/** <S> elements, runs of equal contiguous segments folded with @r. */
function segmentTimeline(t: TrackTimeline): string {
  const runs: { t: number; d: number; r: number }[] = [];
  t.starts.forEach((start, i) => {
    const d = t.durations[i];
    const last = runs[runs.length - 1];
    if (last && last.d === d && last.t + last.d * (last.r + 1) === start) last.r++;
    else runs.push({ t: start, d, r: 0 });
  });
  return runs.map((s) => `<S t="${s.t}" d="${s.d}"${s.r > 0 ? ` r="${s.r}"` : ''}/>`).join('');
}

function template(t: TrackTimeline): string {
  return (
    `<SegmentTemplate timescale="${t.timescale}" initialization="${t.name}/${INIT_SEGMENT}" media="${t.name}/seg-$Number%05d$.m4s" startNumber="${t.firstNumber}">` +
    `<SegmentTimeline>${segmentTimeline(t)}</SegmentTimeline></SegmentTemplate>`
  );
}

export function dashManifest(video: DashVideo[], audio: DashAudio | undefined, fps: string, seconds: number, segmentSeconds: number, subtitles: SubtitleEntry[] = []): string {
  const maxWidth = Math.max(...video.map((v) => v.width));
  const maxHeight = Math.max(...video.map((v) => v.height));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="static" mediaPresentationDuration="${isoSeconds(seconds)}" minBufferTime="${isoSeconds(segmentSeconds)}">`,
    '  <Period id="0" start="PT0S">',
    `    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" frameRate="${fps}" maxWidth="${maxWidth}" maxHeight="${maxHeight}">`,
  ];
  for (const v of video) {
    lines.push(
      `      <Representation id="${v.timeline.name}" bandwidth="${v.bandwidth}" codecs="${v.codecs}" width="${v.width}" height="${v.height}" sar="1:1">`,
      `        ${template(v.timeline)}`,
      '      </Representation>',
    );
  }
  lines.push('    </AdaptationSet>');
  if (audio) {
    lines.push(
      '    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" startWithSAP="1">',
      `      <Representation id="${audio.timeline.name}" bandwidth="${audio.bandwidth}" codecs="${audio.codecs}" audioSamplingRate="${audio.timeline.timescale}">`,
      `        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${audio.channels}"/>`,
      `        ${template(audio.timeline)}`,
      '      </Representation>',
      '    </AdaptationSet>',
    );
  }
  lines.push(...dashTextSets(subtitles, 2, seconds));
  lines.push('  </Period>', '</MPD>', '');
  return lines.join('\n');
}
