// How the playlists name a package's subtitle tracks: each track is one
// WebVTT file covering the whole presentation, listed by a one-entry HLS media
// playlist (in the master's "subs" group) and by a DASH text AdaptationSet.

export const SUBTITLE_GROUP = 'subs';
const SUBTITLE_FILE = 'subtitles.vtt';

/** The track's WebVTT file under the package folder. */
export function subtitleFile(track: string): string {
  return `${track}/${SUBTITLE_FILE}`;
}

/** What the playlists say about a subtitle track. */
export interface SubtitleEntry {
  /** Folder in the package. */
  name: string;
  label: string;
  /** RFC 5646 tag, "und" when unknown. */
  lang: string;
  default: boolean;
  forced: boolean;
  /** The WebVTT file under the package folder. */
  file: string;
  bytes: number;
}

/** The media playlist of one track: its single WebVTT file, as long as the video. */
export function subtitleMediaPlaylist(track: SubtitleEntry, seconds: number): string {
  const file = track.file.slice(track.file.lastIndexOf('/') + 1);
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    // EXTINF rounded must not exceed it (RFC 8216 4.3.3.1).
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(seconds))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${seconds.toFixed(6)},`,
    file,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

/** EXT-X-MEDIA lines for the master playlist; only the first track the source marks default is DEFAULT=YES. */
export function subtitleMediaTags(tracks: SubtitleEntry[], mediaPlaylist: string): string[] {
  const first = tracks.findIndex((t) => t.default);
  return tracks.map((t, i) => {
    const attrs = [
      'TYPE=SUBTITLES',
      `GROUP-ID="${SUBTITLE_GROUP}"`,
      `NAME="${t.label}"`,
      ...(t.lang !== 'und' ? [`LANGUAGE="${t.lang}"`] : []),
      `DEFAULT=${i === first ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      ...(t.forced ? ['FORCED=YES'] : []),
      `URI="${t.name}/${mediaPlaylist}"`,
    ];
    return `#EXT-X-MEDIA:${attrs.join(',')}`;
  });
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One text AdaptationSet per track (ids from `firstId` on), each a Representation of its whole WebVTT file. */
export function dashTextSets(tracks: SubtitleEntry[], firstId: number, seconds: number): string[] {
  return tracks.flatMap((t, i) => [
    `    <AdaptationSet id="${firstId + i}" contentType="text" mimeType="text/vtt" lang="${t.lang}">`,
    `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${t.forced ? 'forced-subtitle' : 'subtitle'}"/>`,
    `      <Label>${xmlText(t.label)}</Label>`,
    `      <Representation id="${t.name}" bandwidth="${Math.max(1, Math.ceil((t.bytes * 8) / Math.max(seconds, 1)))}">`,
    `        <BaseURL>${xmlText(t.file)}</BaseURL>`,
    '      </Representation>',
    '    </AdaptationSet>',
  ]);
}
