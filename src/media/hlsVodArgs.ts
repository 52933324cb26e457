// ffmpeg arguments that repackage a finished, verified file as a plain HLS VOD
// presentation (MPEG-TS segments + one media playlist), stream copy only. TS
// carries pts and dts per packet, so B-frames and the MP4's edit list need no
// special handling; segments cut at the encoder's keyframes (every 2 s).
import * as path from 'node:path';

export interface HlsVodOutput {
  input: string;
  dir: string;
  /** Playlist `<base>.m3u8`, segments `<base>_00000.ts`, ... */
  base: string;
  /** The muxer cuts at the first keyframe at least this long after the last cut. */
  segmentSeconds: number;
}

export function hlsPlaylistName(base: string): string {
  return `${base}.m3u8`;
}

export function hlsVodArgs(o: HlsVodOutput): string[] {
  return [
    '-i', o.input, '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-map_metadata', '-1',
    '-f', 'hls', '-hls_time', String(o.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_list_size', '0',
    '-hls_segment_type', 'mpegts', '-hls_flags', 'independent_segments',
    '-hls_segment_filename', path.join(o.dir, `${o.base}_%05d.ts`),
    path.join(o.dir, hlsPlaylistName(o.base)),
  ];
}
