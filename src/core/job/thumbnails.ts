// Thumbnails of a streaming job: the `thumbnailSeconds` option and where the
// tiles and the poster sit on the job's frame grid. Pure: the workflow plans
// with it, and the shard tasks of the top rung write what it names.
import { invalidJob } from '../errors';
import type { Rational } from '../media/rational';

/** One tile every this many seconds when the job names no interval. */
export const DEFAULT_THUMBNAIL_SECONDS = 2;
export const MIN_THUMBNAIL_SECONDS = 1;
export const MAX_THUMBNAIL_SECONDS = 60;
/** Tile width in pixels; the height keeps the upright picture's aspect. */
export const TILE_WIDTH = 160;
/** The poster is the top rung's picture, its short side capped here (a 1080p ladder gets a 1280x720 poster). */
export const POSTER_MAX_SHORT_SIDE = 720;
/** The poster shows the frame this far into the video ... */
export const POSTER_FRACTION = 0.1;
/** ... except in clips shorter than this, where 10 % is too close to the start to matter: the first frame. */
export const POSTER_FIRST_FRAME_BELOW_SECONDS = 2;

/** A picture's size in pixels (tiles, poster, sprite sheets). */
export interface Size {
  width: number;
  height: number;
}

/** Validates `thumbnailSeconds`: 0 turns thumbnails off; absent means the default. */
export function checkThumbnailSeconds(raw: unknown): number {
  if (raw === undefined) return DEFAULT_THUMBNAIL_SECONDS;
  if (raw === 0) return 0;
  if (typeof raw !== 'number' || !(raw >= MIN_THUMBNAIL_SECONDS && raw <= MAX_THUMBNAIL_SECONDS)) {
    throw invalidJob(
      `"thumbnailSeconds" must be a number from ${MIN_THUMBNAIL_SECONDS} to ${MAX_THUMBNAIL_SECONDS} (seconds between thumbnails), or 0 for no thumbnails, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** What the shard tasks of one rung write besides their segments, and what package assembles. */
export interface ThumbnailPlan {
  /** The rung whose shard tasks write the tiles and the poster: the top one. */
  rung: string;
  /** Grid slots from one tile to the next: tile k shows the frame of slot k × tileFrames. */
  tileFrames: number;
  /** Tile width in pixels (at most the rung's). */
  tileWidth: number;
  /** The poster's grid slot. */
  posterSlot: number;
  /** The poster's short side at most this. */
  posterMaxShortSide: number;
}

/**
 * The plan for a job of `totalFrames` at `fps`, or undefined when thumbnails are off. The interval is a whole
 * number of frames (like a segment), so the real interval is tileFrames / fps (2.002 s for 2 s at 29.97 fps).
 */
export function thumbnailPlan(seconds: number, fps: Rational, totalFrames: number, rung: string): ThumbnailPlan | undefined {
  if (!(seconds > 0) || totalFrames <= 0) return undefined;
  const tileFrames = Math.max(1, Math.round((seconds * fps.num) / fps.den));
  const videoSeconds = (totalFrames * fps.den) / fps.num;
  const posterSlot = videoSeconds < POSTER_FIRST_FRAME_BELOW_SECONDS ? 0 : Math.floor(totalFrames * POSTER_FRACTION);
  return { rung, tileFrames, tileWidth: TILE_WIDTH, posterSlot, posterMaxShortSide: POSTER_MAX_SHORT_SIDE };
}

/** Tiles of a video of `totalFrames`: one per started interval, so they cover it to its end. */
export function tileCount(totalFrames: number, tileFrames: number): number {
  return Math.ceil(totalFrames / tileFrames);
}

/** The tiles whose slots lie in [startSlot, endSlot): the first one's number and how many. */
export function tilesInSlots(startSlot: number, endSlot: number, tileFrames: number): { first: number; count: number } {
  const first = Math.ceil(startSlot / tileFrames);
  const end = Math.ceil(endSlot / tileFrames);
  return { first, count: Math.max(0, end - first) };
}
