// Reads a streaming package's tracks back from the work area: each track's
// init segment and media segments, with the decode time, duration and size of
// every segment as its fragments say. packageStream writes the playlists from
// this; verifyStream checks the timeline is continuous.
import { promises as fs } from 'node:fs';
import { INIT_SEGMENT } from '../media/cmafArgs';
import { fragmentDecodeTimes, fragmentTicks, trackTimescale } from '../media/fmp4Boxes';
import type { TrackTimeline } from '../stream/trackTimeline';
import type { ObjectStore } from '../storage/objectStore';
import { workArea } from './workArea';

export interface StoredTrack {
  timeline: TrackTimeline;
  init: Buffer;
  /** Local paths of the segments, in order. */
  files: string[];
}

const SEGMENT_NAME = /\/seg-(\d{5,})\.m4s$/;

export async function readStoredTrack(work: ObjectStore, workUrl: string, name: string, scratch: string): Promise<StoredTrack> {
  const listed = (await work.list(workArea.stream(workUrl, `${name}/`))).filter((o) => SEGMENT_NAME.test(o.url));
  const numbers = listed.map((o) => Number(SEGMENT_NAME.exec(o.url)![1]));
  const init = await fs.readFile(await work.localPath(workArea.stream(workUrl, `${name}/${INIT_SEGMENT}`), scratch));
  const timeline: TrackTimeline = { name, timescale: trackTimescale(init), starts: [], durations: [], sizes: [], firstNumber: numbers[0] ?? 0 };
  const files: string[] = [];
  for (const o of listed) {
    const file = await work.localPath(o.url, scratch);
    const bytes = await fs.readFile(file);
    const starts = fragmentDecodeTimes(bytes);
    timeline.starts.push(Number(starts[0] ?? -1n));
    timeline.durations.push(Number(fragmentTicks(bytes)));
    timeline.sizes.push(bytes.length);
    files.push(file);
  }
  // Numbers must run without a gap: a missing segment is a hole in every player.
  const gap = numbers.findIndex((n, i) => n !== timeline.firstNumber + i);
  if (gap >= 0) throw new Error(`internal: track ${name} is missing segment ${timeline.firstNumber + gap}`);
  return { timeline, init, files };
}
