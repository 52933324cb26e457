// The thumbnail storyboard of a streaming package: tiles laid out on sprite
// sheets (10 x 10 per sheet), and the WebVTT file that names one tile per cue
// (`sprite-0.jpg#xywh=x,y,w,h`), cues running without a gap from 0 to the
// video's end. Package writes it from the layout; verify parses it back and
// holds it against the same layout. Pure.
import type { Size } from '../core/job/thumbnails';
import type { Rational } from '../core/media/rational';
import { formatTimestamp, parseTimestamp } from './webvtt';

export const SHEET_COLUMNS = 10;
export const SHEET_ROWS = 10;
/** Names in the package (and the output). */
export const POSTER_FILE = 'poster.jpg';
export const THUMBNAIL_FOLDER = 'thumbnails';
export const STORYBOARD_FILE = `${THUMBNAIL_FOLDER}/thumbnails.vtt`;

export type { Size };

/** One sprite sheet: its file name beside the storyboard, its tiles and its picture size. */
export interface SheetLayout {
  name: string;
  firstTile: number;
  tiles: number;
  columns: number;
  rows: number;
  width: number;
  height: number;
}

export interface StoryboardLayout {
  tile: Size;
  tiles: number;
  sheets: SheetLayout[];
}

/** Where a tile sits: its sheet (file name) and its rectangle in it. */
export interface TileRect {
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function sheetName(index: number): string {
  return `sprite-${index}.jpg`;
}

/**
 * `tiles` tiles of `tile` size, row by row, `columns` x `rows` per sheet. A sheet with fewer tiles than a full
 * row is as wide as its tiles; its rows are only as many as it fills.
 */
export function storyboardLayout(tiles: number, tile: Size, columns = SHEET_COLUMNS, rows = SHEET_ROWS): StoryboardLayout {
  const perSheet = columns * rows;
  const sheets: SheetLayout[] = [];
  for (let first = 0; first < tiles; first += perSheet) {
    const count = Math.min(perSheet, tiles - first);
    const cols = Math.min(columns, count);
    const used = Math.ceil(count / cols);
    sheets.push({ name: sheetName(sheets.length), firstTile: first, tiles: count, columns: cols, rows: used, width: cols * tile.width, height: used * tile.height });
  }
  return { tile, tiles, sheets };
}

export function tileRect(layout: StoryboardLayout, k: number): TileRect {
  const sheet = layout.sheets.find((s) => k >= s.firstTile && k < s.firstTile + s.tiles);
  if (!sheet) throw new Error(`internal: tile ${k} is not on any of ${layout.sheets.length} sheets`);
  const i = k - sheet.firstTile;
  return { sheet: sheet.name, x: (i % sheet.columns) * layout.tile.width, y: Math.floor(i / sheet.columns) * layout.tile.height, w: layout.tile.width, h: layout.tile.height };
}

/** The grid the cues follow: tile k from slot k × tileFrames to the next tile's slot (or the video's end). */
export interface CueGrid {
  tileFrames: number;
  totalFrames: number;
  fps: Rational;
}

/** Milliseconds of grid slot `slot`: every cue boundary is computed from its slot, so a cue ends where the next starts. */
export function slotMs(slot: number, fps: Rational): number {
  return Math.round((slot * 1000 * fps.den) / fps.num);
}

export function cueTimes(k: number, g: CueGrid): { start: number; end: number } {
  return { start: slotMs(k * g.tileFrames, g.fps), end: slotMs(Math.min((k + 1) * g.tileFrames, g.totalFrames), g.fps) };
}

export function storyboardVtt(layout: StoryboardLayout, g: CueGrid): string {
  const lines = ['WEBVTT', ''];
  for (let k = 0; k < layout.tiles; k++) {
    const { start, end } = cueTimes(k, g);
    const r = tileRect(layout, k);
    lines.push(`${formatTimestamp(start)} --> ${formatTimestamp(end)}`, `${r.sheet}#xywh=${r.x},${r.y},${r.w},${r.h}`, '');
  }
  return lines.join('\n');
}

export interface StoryboardCue extends TileRect {
  start: number;
  end: number;
}

/** The cues of a storyboard file; throws naming the first line it cannot read. */
export function parseStoryboardVtt(text: string): StoryboardCue[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (!lines[0]?.startsWith('WEBVTT')) throw new Error('it does not start with "WEBVTT"');
  const cues: StoryboardCue[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].includes('-->')) continue;
    const [from, to] = lines[i].split('-->');
    const start = parseTimestamp(from);
    const end = parseTimestamp(to.trim().split(/\s+/)[0]);
    const payload = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec((lines[i + 1] ?? '').trim());
    if (start === undefined || end === undefined || !payload) throw new Error(`line ${i + 1} is not a storyboard cue: ${JSON.stringify(lines[i])} ${JSON.stringify(lines[i + 1] ?? '')}`);
    cues.push({ start, end, sheet: payload[1], x: Number(payload[2]), y: Number(payload[3]), w: Number(payload[4]), h: Number(payload[5]) });
  }
  return cues;
}

/** Problems named one by one; the rest are counted. */
const MAX_NAMED = 3;

/**
 * Holds a storyboard's cues against its layout and grid: one cue per tile, times continuous from 0 to the video's
 * end on the tile grid, each rectangle the tile's own and inside its sheet as measured (`sheets`: the sizes read
 * from the sheet files, undefined for a missing one).
 */
export function storyboardProblems(cues: StoryboardCue[], layout: StoryboardLayout, g: CueGrid, sheets: Map<string, Size | undefined>): string[] {
  const problems: string[] = [];
  for (const s of layout.sheets) {
    const got = sheets.get(s.name);
    if (!got) problems.push(`sprite sheet ${s.name} is missing`);
    else if (got.width !== s.width || got.height !== s.height) problems.push(`sprite sheet ${s.name} is ${got.width}x${got.height}, its ${s.columns}x${s.rows} tiles of ${layout.tile.width}x${layout.tile.height} need ${s.width}x${s.height}`);
  }
  if (cues.length !== layout.tiles) problems.push(`the storyboard has ${cues.length} cues, the video's ${g.totalFrames} frames at one tile every ${g.tileFrames} make ${layout.tiles}`);
  const bad: string[] = [];
  const end = slotMs(g.totalFrames, g.fps);
  cues.forEach((c, k) => {
    const before = k === 0 ? 0 : cues[k - 1].end;
    if (c.start !== before) bad.push(`cue ${k} starts at ${formatTimestamp(c.start)}, ${k === 0 ? 'not at 0' : `the one before ends at ${formatTimestamp(before)}`}`);
    if (c.end <= c.start) bad.push(`cue ${k} ends at ${formatTimestamp(c.end)}, not after its start`);
    if (k < layout.tiles) {
      const want = cueTimes(k, g);
      if (c.start !== want.start || c.end !== want.end) bad.push(`cue ${k} is ${formatTimestamp(c.start)}-${formatTimestamp(c.end)}, its tile's interval ${formatTimestamp(want.start)}-${formatTimestamp(want.end)}`);
      const r = tileRect(layout, k);
      if (c.sheet !== r.sheet || c.x !== r.x || c.y !== r.y || c.w !== r.w || c.h !== r.h) {
        bad.push(`cue ${k} shows ${c.sheet}#xywh=${c.x},${c.y},${c.w},${c.h}, its tile is ${r.sheet}#xywh=${r.x},${r.y},${r.w},${r.h}`);
      }
    }
    const sheet = sheets.get(c.sheet);
    if (sheet && (c.x + c.w > sheet.width || c.y + c.h > sheet.height)) bad.push(`cue ${k}'s rectangle ${c.x},${c.y},${c.w},${c.h} reaches outside ${c.sheet} (${sheet.width}x${sheet.height})`);
  });
  if (cues.length > 0 && cues[cues.length - 1].end !== end) bad.push(`the last cue ends at ${formatTimestamp(cues[cues.length - 1].end)}, the video at ${formatTimestamp(end)}`);
  if (bad.length > 0) problems.push(`storyboard: ${bad.slice(0, MAX_NAMED).join('; ')}${bad.length > MAX_NAMED ? ` and ${bad.length - MAX_NAMED} more` : ''}`);
  return problems;
}
