// Verify for a streaming package's subtitle tracks: each WebVTT file parses,
// ffprobe reads it with one packet per cue, and its cues are the source
// track's as a decoder shows them (read from the source by ffprobe, not by the
// conversion that made the file), moved onto the video's timeline: the same
// count less those outside the video, each start and end within 1 ms.
import { promises as fs } from 'node:fs';
import type { SubtitleRendition, VerifyStreamInput } from '../core/contracts';
import { runFfprobe } from '../media/ffmpeg';
import { decodedCues, subtitleFramesArgs } from '../media/subtitleArgs';
import type { ObjectStore } from '../storage/objectStore';
import { parseWebVtt, placeCues, type VttCue } from '../stream/webvtt';
import { cancellationSignal, mediaFailure } from './activityKit';
import type { ActivityDeps } from './deps';
import { withSource } from './sourceAccess';
import { workArea } from './workArea';

/** Cue times may differ from the source's, shifted, by WebVTT's rounding to whole milliseconds. */
const TOLERANCE_MS = 1;
/** Cues named one by one in a problem; the rest are counted. */
const MAX_NAMED = 3;

export async function subtitleProblems(stores: ActivityDeps['stores'], input: VerifyStreamInput, scratch: string): Promise<string[]> {
  const tracks = input.subtitles ?? [];
  if (tracks.length === 0) return [];
  const work = stores.for(input.workUrl);
  const sources = await withSource(stores.for(input.seams.source), input.seams.source, scratch, ({ input: file }) =>
    Promise.all(
      tracks.map(async (t) => {
        try {
          return decodedCues(await runFfprobe(subtitleFramesArgs(file, t.index), cancellationSignal()));
        } catch (err) {
          throw mediaFailure(`reading subtitle stream ${t.index} of the source`, err);
        }
      }),
    ),
  );
  const problems: string[] = [];
  for (let i = 0; i < tracks.length; i++) {
    const expected = placeCues(
      sources[i].map((c) => ({ ...c, settings: '', text: '' })),
      input.seams.gridStart * 1000,
      input.sourceSeconds * 1000,
    ).cues;
    problems.push(...(await trackProblems(work, input.workUrl, tracks[i], expected, scratch)));
  }
  return problems;
}

async function trackProblems(work: ObjectStore, workUrl: string, track: SubtitleRendition, expected: VttCue[], scratch: string): Promise<string[]> {
  const what = `subtitle track ${track.name} (source stream ${track.index}, ${track.label})`;
  const file = await work.localPath(workArea.stream(workUrl, track.file), scratch);
  let cues: VttCue[];
  try {
    cues = parseWebVtt(await fs.readFile(file, 'utf8'), what);
  } catch (err) {
    return [(err as Error).message];
  }
  let packets: number;
  try {
    const out = await runFfprobe(['-show_entries', 'packet=pts_time', '-of', 'json', file], cancellationSignal());
    packets = ((JSON.parse(out) as { packets?: unknown[] }).packets ?? []).length;
  } catch (err) {
    return [`ffprobe cannot read ${what}: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  if (packets !== cues.length) problems.push(`ffprobe reads ${packets} cues in ${what}, the file holds ${cues.length}`);
  if (cues.length !== expected.length) {
    problems.push(`${what} holds ${cues.length} cues, the source track ${expected.length} within the video`);
    return problems;
  }
  const byTime = (a: VttCue, b: VttCue): number => a.start - b.start || a.end - b.end;
  const got = [...cues].sort(byTime);
  const want = [...expected].sort(byTime);
  const off: string[] = [];
  got.forEach((c, i) => {
    const w = want[i];
    if (Math.abs(c.start - w.start) > TOLERANCE_MS || Math.abs(c.end - w.end) > TOLERANCE_MS) {
      off.push(`cue ${i + 1} at ${c.start}-${c.end} ms, the source's at ${w.start.toFixed(1)}-${w.end.toFixed(1)} ms`);
    }
  });
  if (off.length > 0) problems.push(`${what}: ${off.slice(0, MAX_NAMED).join(', ')}${off.length > MAX_NAMED ? ` and ${off.length - MAX_NAMED} more` : ''}`);
  return problems;
}
