// WebVTT text: read cues, place them on the job's timeline and write them
// back. Times are whole milliseconds, WebVTT's own resolution. The package's
// time 0 is the first video frame on the job grid, so every cue moves by the
// grid's start: what ends before 0 or starts at the video's end is cut, what
// straddles either edge is clamped to it.

export interface VttCue {
  /** The cue's identifier line, when it has one. */
  id?: string;
  /** Milliseconds. */
  start: number;
  end: number;
  /** Cue settings after the end time ("align:start line:90%"), or "". */
  settings: string;
  /** Payload lines joined with "\n". */
  text: string;
}

export interface PlacedCues {
  cues: VttCue[];
  /** Cues that end at or before the first video frame. */
  cutBefore: number;
  /** Cues that start at or after the video's end. */
  cutAfter: number;
  /** Cues kept but shortened to the video. */
  clamped: number;
}

/**
 * Tells hls.js (and Safari) where cue time 0 sits on the media timeline: at media time 0 (MPEGTS is in 90 kHz
 * ticks), where every segment of the package starts.
 */
export const TIMESTAMP_MAP = 'X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000';

const TIMESTAMP = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/;

/** "01:02.345" or "1:02:03.456" as milliseconds; undefined when it is not a WebVTT timestamp. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
}

/** Milliseconds (rounded to whole ones) as "hh:mm:ss.ttt". */
export function formatTimestamp(time: number): string {
  const ms = Math.round(time);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The cues of a WebVTT file, in file order. `what` names the file in errors. */
export function parseWebVtt(text: string, what: string): VttCue[] {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (!/^WEBVTT([ \t].*)?$/.test(lines[0] ?? '')) throw new Error(`${what} is not WebVTT: it does not start with "WEBVTT"`);
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') {
      if (block.length > 0) blocks.push(block);
      block = [];
    } else block.push(line);
  }
  if (block.length > 0) blocks.push(block);
  const cues: VttCue[] = [];
  blocks.forEach((b, i) => {
    const timing = b.findIndex((l) => l.includes('-->'));
    // The header's own lines (X-TIMESTAMP-MAP) and NOTE, STYLE and REGION blocks hold no timing line.
    if (timing < 0) return;
    if (timing > 1) throw new Error(`${what}: block ${i + 1} has ${timing} lines before its timing line`);
    const m = /^(\S+)[ \t]+-->[ \t]+(\S+)[ \t]*(.*)$/.exec(b[timing]);
    const start = m ? parseTimestamp(m[1]) : undefined;
    const end = m ? parseTimestamp(m[2]) : undefined;
    if (start === undefined || end === undefined) throw new Error(`${what}: "${b[timing]}" is not a WebVTT cue timing line`);
    if (end < start) throw new Error(`${what}: the cue at ${m![1]} ends before it starts (${m![2]})`);
    cues.push({ id: timing === 1 ? b[0] : undefined, start, end, settings: m![3].trim(), text: b.slice(timing + 1).join('\n') });
  });
  return cues;
}

/**
 * Cues moved onto the package's timeline: `offsetMs` (the first video frame's source time) is taken off every
 * time, then each cue is cut or clamped to [0, durationMs]. Times stay fractional; writing rounds them once.
 */
export function placeCues(cues: VttCue[], offsetMs: number, durationMs: number): PlacedCues {
  const out: PlacedCues = { cues: [], cutBefore: 0, cutAfter: 0, clamped: 0 };
  for (const c of cues) {
    const start = c.start - offsetMs;
    const end = c.end - offsetMs;
    if (end <= 0) out.cutBefore++;
    else if (start >= durationMs) out.cutAfter++;
    else {
      const kept = { ...c, start: Math.max(0, start), end: Math.min(durationMs, end) };
      if (kept.start !== start || kept.end !== end) out.clamped++;
      out.cues.push(kept);
    }
  }
  return out;
}

/** A WebVTT file of the cues, with the header lines given (e.g. TIMESTAMP_MAP). */
export function webVttText(cues: VttCue[], header: string[] = []): string {
  const parts = [['WEBVTT', ...header].join('\n')];
  for (const c of cues) {
    const timing = `${formatTimestamp(c.start)} --> ${formatTimestamp(c.end)}${c.settings ? ` ${c.settings}` : ''}`;
    parts.push([...(c.id ? [c.id] : []), timing, c.text].join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}
