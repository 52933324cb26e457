// Streaming output, package step: puts the tiles the shard tasks stored on
// sprite sheets (10 x 10 per sheet) and writes the WebVTT storyboard that
// names one tile per cue. Sheets and storyboard go into the package folder,
// so publish copies them with the segments, before any playlist.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PackageStreamInput, ThumbnailReport } from '../core/contracts';
import { ErrorType, permanentError } from '../core/errors';
import { tileCount, type ThumbnailPlan } from '../core/job/thumbnails';
import { parseRational, type Rational } from '../core/media/rational';
import { runFfmpeg } from '../media/ffmpeg';
import { spriteSheetArgs, tileFileName } from '../media/thumbnailArgs';
import { POSTER_FILE, SHEET_COLUMNS, SHEET_ROWS, STORYBOARD_FILE, THUMBNAIL_FOLDER, storyboardLayout, storyboardVtt, type CueGrid, type Size, type StoryboardLayout } from '../stream/storyboard';
import type { ObjectStore } from '../storage/objectStore';
import { cancellationSignal, mediaFailure } from './activityKit';
import { thumbnailSizes } from './shardThumbnails';
import { workArea } from './workArea';

/** Tiles fetched from the work area at a time. */
const TILE_FETCHES = 8;

/** The storyboard a package of `input` must hold: its layout, its cue grid and the poster's size. */
export function expectedStoryboard(input: PackageStreamInput, plan: ThumbnailPlan): { layout: StoryboardLayout; grid: CueGrid; poster: Size; fps: Rational } {
  const fps = parseRational(input.fps);
  const rung = input.rungs.find((r) => r.name === plan.rung);
  if (!fps || !rung) throw new Error(`internal: thumbnails of rung ${plan.rung} at ${input.fps} fps, the ladder has ${input.rungs.map((r) => r.name).join(', ')}`);
  const sizes = thumbnailSizes(plan, input.geometry, rung.rendition);
  const layout = storyboardLayout(tileCount(input.totalFrames, plan.tileFrames), sizes.tile);
  return { layout, grid: { tileFrames: plan.tileFrames, totalFrames: input.totalFrames, fps }, poster: sizes.poster, fps };
}

/** Builds the sheets and the storyboard in the work area's package folder; undefined when the job makes no thumbnails. */
export async function assembleThumbnails(work: ObjectStore, input: PackageStreamInput, scratch: string): Promise<ThumbnailReport | undefined> {
  const plan = input.thumbnails;
  if (!plan) return undefined;
  const { layout, grid, poster, fps } = expectedStoryboard(input, plan);
  const dir = path.join(scratch, 'tiles');
  await fs.mkdir(dir, { recursive: true });
  // A few fetches at a time: a remote work area answers each small tile with a round trip.
  let next = 0;
  const fetchTiles = async (): Promise<void> => {
    for (let k = next++; k < layout.tiles; k = next++) {
      const url = workArea.tile(input.workUrl, k);
      if (!(await work.exists(url))) {
        next = layout.tiles;
        throw permanentError(ErrorType.VerifyFailed, `thumbnail tile ${k} (grid slot ${k * plan.tileFrames}) is missing: the shard task of rung ${plan.rung} holding that slot did not store it`);
      }
      await fs.copyFile(await work.localPath(url, scratch), path.join(dir, tileFileName(k)));
    }
  };
  // Every lane ends before a failure is thrown, so none writes into a scratch folder being removed.
  const lanes = await Promise.allSettled(Array.from({ length: TILE_FETCHES }, fetchTiles));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  for (const sheet of layout.sheets) {
    const file = path.join(scratch, sheet.name);
    try {
      await runFfmpeg(spriteSheetArgs({ tileDir: dir, firstTile: sheet.firstTile, tiles: sheet.tiles, columns: sheet.columns, rows: sheet.rows, output: file }), { signal: cancellationSignal() });
    } catch (err) {
      throw mediaFailure(`tiling thumbnails ${sheet.firstTile}-${sheet.firstTile + sheet.tiles - 1} onto ${sheet.name}`, err);
    }
    await work.putFile(workArea.stream(input.workUrl, `${THUMBNAIL_FOLDER}/${sheet.name}`), file);
  }
  await work.putText(workArea.stream(input.workUrl, STORYBOARD_FILE), storyboardVtt(layout, grid));
  return {
    poster: POSTER_FILE,
    posterWidth: poster.width,
    posterHeight: poster.height,
    posterSeconds: (plan.posterSlot * fps.den) / fps.num,
    storyboard: STORYBOARD_FILE,
    sheets: layout.sheets.map((s) => `${THUMBNAIL_FOLDER}/${s.name}`),
    tiles: layout.tiles,
    tileWidth: layout.tile.width,
    tileHeight: layout.tile.height,
    columns: SHEET_COLUMNS,
    rows: SHEET_ROWS,
    intervalSeconds: (plan.tileFrames * fps.den) / fps.num,
  };
}
