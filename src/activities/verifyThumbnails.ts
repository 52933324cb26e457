// Streaming output, verify step: the poster and the storyboard read back
// before anything is published. The storyboard has one cue per tile
// (ceil(frames / tile interval)), its cue times run without a gap from 0 to
// the video's end, every rectangle is its tile's and lies inside its sheet,
// and the sheets and the poster have the sizes the layout gives them.
import { promises as fs } from 'node:fs';
import { CancelledFailure } from '@temporalio/common';
import type { VerifyStreamInput } from '../core/contracts';
import { runFfprobe } from '../media/ffmpeg';
import { POSTER_FILE, STORYBOARD_FILE, THUMBNAIL_FOLDER, parseStoryboardVtt, storyboardProblems, type Size } from '../stream/storyboard';
import type { ObjectStore } from '../storage/objectStore';
import { cancellationSignal, mediaFailure } from './activityKit';
import { expectedStoryboard } from './thumbnailSheets';
import { workArea } from './workArea';

export async function thumbnailProblems(work: ObjectStore, input: VerifyStreamInput, scratch: string): Promise<string[]> {
  const plan = input.thumbnails;
  if (!plan) return [];
  const { layout, grid, poster } = expectedStoryboard(input, plan);
  const problems: string[] = [];
  const posterSize = await imageSize(work, workArea.stream(input.workUrl, POSTER_FILE), scratch);
  if (!posterSize) problems.push(`the poster ${POSTER_FILE} is missing`);
  else if (posterSize.width !== poster.width || posterSize.height !== poster.height) {
    problems.push(`the poster is ${posterSize.width}x${posterSize.height}, not ${poster.width}x${poster.height}`);
  }
  const storyboardUrl = workArea.stream(input.workUrl, STORYBOARD_FILE);
  if (!(await work.exists(storyboardUrl))) return [...problems, `the storyboard ${STORYBOARD_FILE} is missing`];
  let cues;
  try {
    cues = parseStoryboardVtt(await fs.readFile(await work.localPath(storyboardUrl, scratch), 'utf8'));
  } catch (err) {
    return [...problems, `the storyboard ${STORYBOARD_FILE} cannot be read: ${(err as Error).message}`];
  }
  const sheets = new Map<string, Size | undefined>();
  for (const name of new Set([...layout.sheets.map((s) => s.name), ...cues.map((c) => c.sheet)])) {
    // Only plain names beside the storyboard: a cue cannot point a player elsewhere.
    sheets.set(name, /^[\w.-]+$/.test(name) ? await imageSize(work, workArea.stream(input.workUrl, `${THUMBNAIL_FOLDER}/${name}`), scratch) : undefined);
  }
  return [...problems, ...storyboardProblems(cues, layout, grid, sheets)];
}

/** An image's size as ffprobe reads it (0x0 when it cannot); undefined when the object is missing. */
async function imageSize(work: ObjectStore, url: string, scratch: string): Promise<Size | undefined> {
  if (!(await work.exists(url))) return undefined;
  const file = await work.localPath(url, scratch);
  let out: string;
  try {
    out = await runFfprobe(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file], cancellationSignal());
  } catch (err) {
    // Cancellation stays cancellation; an image ffprobe cannot read has no size, which fails verification.
    const failure = mediaFailure(`reading the size of ${url}`, err);
    if (failure instanceof CancelledFailure) throw failure;
    return { width: 0, height: 0 };
  }
  const s = (JSON.parse(out) as { streams?: { width?: number; height?: number }[] }).streams?.[0];
  return { width: s?.width ?? 0, height: s?.height ?? 0 };
}
