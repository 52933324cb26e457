// How ffmpeg and ffprobe open a file that came from a user. ffmpeg picks the
// demuxer by content, not by name, and some demuxers open further files or URLs
// that the file names: a 90-byte "upload.mp4" holding an HLS playlist makes
// ffprobe read whatever path it lists, such as another job's shards. So a user
// file is opened only by container demuxers (-format_whitelist) over the file
// protocol alone (-protocol_whitelist); anything else is refused right after
// probing, before its demuxer opens what the file names. Sources are on local
// disk by then (remote objects are downloaded to scratch first).

/**
 * Demuxers of real media containers and elementary streams, as `ffmpeg -demuxers` names them. Left out on
 * purpose: hls, dash, concat, imf, webm_dash_manifest and the image2 family (they open other files or URLs),
 * sdp/rtp/rtsp (network), lavfi (generates input) and the many niche game and subtitle formats.
 */
export const SOURCE_DEMUXERS: readonly string[] = [
  // video containers
  'mov', 'matroska', 'avi', 'flv', 'mpegts', 'mpeg', 'mxf', 'asf', 'ogg', 'nut', 'ivf', 'dv',
  // elementary video streams
  'h264', 'hevc', 'm4v', 'mpegvideo', 'obu',
  // audio files
  'wav', 'w64', 'aiff', 'caf', 'mp3', 'aac', 'flac', 'ac3', 'eac3', 'dts', 'truehd', 'amr', 'wv', 'loas',
];

/** The protocols a source may be read through; nested opens (playlists, references) inherit the list. */
export const SOURCE_PROTOCOLS = 'file';

/**
 * The one input read over HTTP: a remote source served by this worker's own loopback range server
 * (src/storage/rangeServer.ts), so ffmpeg fetches only the byte ranges it reads. The demuxer list still
 * applies, so nothing that names other URLs is opened through it.
 */
const RANGE_SERVER_URL = /^http:\/\/127\.0\.0\.1:\d{1,5}\/[0-9a-f]{32}\/[^/?#]+$/;
const RANGE_SERVER_PROTOCOLS = 'http,tcp';

/** Input options and `-i` for a user's file (or its range server URL), for ffmpeg and ffprobe alike. */
export function sourceInput(file: string): string[] {
  const formats = ['-format_whitelist', SOURCE_DEMUXERS.join(','), '-i', file];
  if (!RANGE_SERVER_URL.test(file)) return ['-protocol_whitelist', SOURCE_PROTOCOLS, ...formats];
  // The server answers each request with one block; ffmpeg asks again where it ended.
  return ['-reconnect', '1', '-protocol_whitelist', RANGE_SERVER_PROTOCOLS, ...formats];
}

/** `-i` for reading back a file this job made: in place, or from the range server (src/storage/rangeServer.ts). */
export function readBackInput(file: string): string[] {
  return RANGE_SERVER_URL.test(file) ? ['-reconnect', '1', '-protocol_whitelist', RANGE_SERVER_PROTOCOLS, '-i', file] : ['-i', file];
}

/**
 * The demuxer ffmpeg detected when it refused a file for not being on the list, or undefined when it failed
 * for another reason. ffmpeg logs the refusal under the detected demuxer's name: "[hls @ 0x…] Format not on
 * whitelist".
 */
export function refusedFormat(stderr: string): string | undefined {
  return /\[([^\]@]+?) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(stderr)?.[1];
}

/** Why a refused file cannot be a source, for the InvalidMedia message that names it. */
export function refusedFormatReason(format: string): string {
  return (
    `it is a "${format}" file, not a media container: playlists, concat lists and image sequences name other ` +
    'files or URLs, which are never opened; upload the media itself (MP4/MOV, Matroska/WebM, MPEG-TS, AVI, FLV, MXF, Ogg or an audio file)'
  );
}
