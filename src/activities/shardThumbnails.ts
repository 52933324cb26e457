// Streaming output: the thumbnails one shard task of the top rung writes
// beside its segments. Its encode also writes the tiles whose grid slots lie
// in the shard (and the poster, when its slot does); this stores them in the
// work area, where package finds them by number.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ShardGeometry } from '../core/media/mediaInfo';
import type { RenditionSpec } from '../core/job/rendition';
import { tilesInSlots, type ThumbnailPlan } from '../core/job/thumbnails';
import { outputSize } from '../media/ffmpegArgs';
import { posterSize, tileFileName, tileSize, type ShardThumbnails } from '../media/thumbnailArgs';
import { POSTER_FILE, type Size } from '../stream/storyboard';
import type { ObjectStore } from '../storage/objectStore';
import { workArea } from './workArea';

/** Tile and poster size for the plan's rung: both follow from the rung's picture. */
export function thumbnailSizes(plan: ThumbnailPlan, geometry: ShardGeometry, rung: RenditionSpec): { tile: Size; poster: Size } {
  const picture = outputSize(geometry, rung.video);
  return { tile: tileSize(picture, plan.tileWidth), poster: posterSize(picture, plan.posterMaxShortSide) };
}

/** What the shard's encode writes, in `scratch`; undefined when this rendition is not the plan's rung. */
export async function shardThumbnails(
  plan: ThumbnailPlan | undefined,
  rendition: RenditionSpec,
  geometry: ShardGeometry,
  slots: { startSlot: number; endSlot: number },
  scratch: string,
): Promise<ShardThumbnails | undefined> {
  if (!plan || plan.rung !== rendition.name) return undefined;
  const sizes = thumbnailSizes(plan, geometry, rendition);
  const tileDir = path.join(scratch, 'tiles');
  await fs.mkdir(tileDir, { recursive: true });
  return {
    ...slots,
    tileFrames: plan.tileFrames,
    tile: sizes.tile,
    tileDir,
    poster: { slot: plan.posterSlot, size: sizes.poster, file: path.join(scratch, POSTER_FILE) },
  };
}

/** Stores the shard's tiles (exactly those of its slots) and its poster; `what` names the shard in errors. */
export async function storeShardThumbnails(t: ShardThumbnails, work: ObjectStore, workUrl: string, what: string): Promise<void> {
  const { first, count } = tilesInSlots(t.startSlot, t.endSlot, t.tileFrames);
  const expected = Array.from({ length: count }, (_, i) => tileFileName(first + i));
  const written = (await fs.readdir(t.tileDir)).filter((f) => f.endsWith('.png')).sort();
  if (written.join(',') !== expected.join(',')) {
    throw new Error(`internal: ${what} wrote thumbnail tiles ${written.join(', ') || 'none'}, its slots ${t.startSlot}-${t.endSlot - 1} hold ${expected.join(', ') || 'none'}`);
  }
  for (let i = 0; i < count; i++) await work.putFile(workArea.tile(workUrl, first + i), path.join(t.tileDir, expected[i]));
  const poster = t.poster;
  if (poster && poster.slot >= t.startSlot && poster.slot < t.endSlot) {
    if (!(await fs.stat(poster.file).catch(() => undefined))) throw new Error(`internal: ${what} holds the poster's slot ${poster.slot} but wrote no poster`);
    await work.putFile(workArea.stream(workUrl, POSTER_FILE), poster.file);
  }
}
