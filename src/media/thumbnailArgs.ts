// ffmpeg arguments for a streaming job's thumbnails. A shard task of the top
// rung taps its own encode: the frames it hands the encoder (picked off the
// job's grid, upright, scaled, watermarked) also go, at every tile slot, to a
// small PNG, and at the poster slot to a JPEG. Package then tiles the PNGs
// into sprite sheets. So tile k is exactly the frame the rung shows at slot k.
import * as path from 'node:path';
import type { Size } from '../core/job/thumbnails';

/** Tiles as the shards write them (lossless; the sheet is the only lossy step). */
export const TILE_PATTERN = 'tile-%05d.png';

export function tileFileName(k: number): string {
  return `tile-${String(k).padStart(5, '0')}.png`;
}

/** JPEG quality (ffmpeg -q:v, 2 best .. 31) of sheets and poster. */
const JPEG_QUALITY = '3';

function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

/** A tile `tileWidth` wide (never wider than the picture) keeping the picture's aspect, both sides even. */
export function tileSize(picture: Size, tileWidth: number): Size {
  const width = Math.min(tileWidth, picture.width - (picture.width % 2));
  return { width, height: even((width * picture.height) / picture.width) };
}

/** The poster: the picture (a rung's, already even), its short side capped at `maxShortSide`, both sides even. */
export function posterSize(picture: Size, maxShortSide: number): Size {
  const scale = maxShortSide / Math.min(picture.width, picture.height);
  return scale >= 1 ? picture : { width: even(picture.width * scale), height: even(picture.height * scale) };
}

/** What one shard task of the thumbnail rung writes beside its segments. */
export interface ShardThumbnails {
  /** The shard's grid slots [startSlot, endSlot); frame n of the encode is slot startSlot + n. */
  startSlot: number;
  endSlot: number;
  tileFrames: number;
  tile: Size;
  /** Folder the tiles go to, numbered by tile (tile k is slot k × tileFrames). */
  tileDir: string;
  /** Present when the poster's slot is in this shard. */
  poster?: { slot: number; size: Size; file: string };
}

/**
 * The graph branch that reads the encoder's frames from `label` and the outputs that write them; undefined when
 * the shard holds no tile slot and not the poster's.
 */
export function shardThumbnailOutputs(t: ShardThumbnails, label: string): { graph: string; outputs: string[] } | undefined {
  const frames = t.endSlot - t.startSlot;
  // The first tile slot at or after the shard's start, as a frame number of this encode.
  const firstTile = Math.ceil(t.startSlot / t.tileFrames);
  const offset = firstTile * t.tileFrames - t.startSlot;
  const hasTiles = offset < frames;
  const poster = t.poster && t.poster.slot >= t.startSlot && t.poster.slot < t.endSlot ? t.poster : undefined;
  if (!hasTiles && !poster) return undefined;
  const branches: string[] = [];
  const outputs: string[] = [];
  const sources = hasTiles && poster ? ['tilesrc', 'postersrc'] : [hasTiles ? 'tilesrc' : 'postersrc'];
  const graph = sources.length === 2 ? `[${label}]split=2[tilesrc][postersrc]` : `[${label}]null[${sources[0]}]`;
  // Only the picked frames are scaled; passthrough keeps the image muxers from repeating frames to fill time.
  if (hasTiles) {
    branches.push(`[tilesrc]select='gte(n,${offset})*not(mod(n-${offset},${t.tileFrames}))',scale=${t.tile.width}:${t.tile.height}:flags=bicubic,setsar=1[tiles]`);
    outputs.push('-map', '[tiles]', '-fps_mode', 'passthrough', '-c:v', 'png', '-f', 'image2', '-start_number', String(firstTile), path.join(t.tileDir, TILE_PATTERN));
  }
  if (poster) {
    branches.push(`[postersrc]select='eq(n,${poster.slot - t.startSlot})',scale=${poster.size.width}:${poster.size.height}:flags=bicubic,setsar=1[poster]`);
    outputs.push('-map', '[poster]', '-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', JPEG_QUALITY, '-f', 'image2', '-update', '1', poster.file);
  }
  return { graph: [graph, ...branches].join(';'), outputs };
}

export interface SpriteSheetInput {
  /** Folder holding the tiles as TILE_PATTERN. */
  tileDir: string;
  firstTile: number;
  tiles: number;
  columns: number;
  rows: number;
  output: string;
}

/** Tiles `tiles` consecutive tiles row by row onto one JPEG sheet (a short last row stays black). */
export function spriteSheetArgs(s: SpriteSheetInput): string[] {
  return [
    '-start_number', String(s.firstTile), '-f', 'image2', '-i', path.join(s.tileDir, TILE_PATTERN),
    '-vf', `tile=${s.columns}x${s.rows}:nb_frames=${s.tiles}`, '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', JPEG_QUALITY, '-f', 'image2', '-update', '1', s.output,
  ];
}
