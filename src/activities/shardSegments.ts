// Streaming output: stores the CMAF segments one shard task wrote, moved onto
// the job's timeline. The shard's muxer starts decode time at 0; the shard
// begins at grid slot `startSlot`, so every fragment moves that many frames
// later and segment numbers come from the job's segment grid.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Rational } from '../core/media/rational';
import { INIT_SEGMENT, segmentFileName } from '../media/cmafArgs';
import { shiftFragments, trackTimescale } from '../media/fmp4Boxes';
import type { ObjectStore } from '../storage/objectStore';
import { workArea } from './workArea';

export interface ShardSegments {
  /** Folder the muxer wrote into. */
  dir: string;
  work: ObjectStore;
  workUrl: string;
  /** Folder of the rung in the output (its name). */
  rung: string;
  startSlot: number;
  frames: number;
  segmentFrames: number;
  fps: Rational;
  /** The first shard keeps the rung's init segment (every shard's is the same: same encoder settings). */
  storeInit: boolean;
  /** Names the shard in errors. */
  what: string;
}

/** Ticks of the track's timescale per frame; the muxer picks a timescale that holds whole frames. */
export function ticksPerFrame(timescale: number, fps: Rational): bigint {
  const ticks = (BigInt(timescale) * BigInt(fps.den)) / BigInt(fps.num);
  if (ticks * BigInt(fps.num) !== BigInt(timescale) * BigInt(fps.den)) {
    throw new Error(`internal: timescale ${timescale} holds no whole frame at ${fps.num}/${fps.den} fps`);
  }
  return ticks;
}

export async function storeShardSegments(s: ShardSegments): Promise<number> {
  if (s.startSlot % s.segmentFrames !== 0) throw new Error(`internal: ${s.what} starts at slot ${s.startSlot}, not on a segment boundary`);
  const first = s.startSlot / s.segmentFrames;
  const count = Math.ceil(s.frames / s.segmentFrames);
  const written = (await fs.readdir(s.dir)).filter((f) => f.endsWith('.m4s')).sort();
  const expected = Array.from({ length: count }, (_, i) => segmentFileName(first + i));
  if (written.join(',') !== expected.join(',')) {
    throw new Error(`internal: ${s.what} wrote segments ${written.join(', ')}, expected ${expected.join(', ')}`);
  }
  const initFile = path.join(s.dir, INIT_SEGMENT);
  const shift = BigInt(s.startSlot) * ticksPerFrame(trackTimescale(await fs.readFile(initFile)), s.fps);
  for (let i = 0; i < count; i++) {
    const file = path.join(s.dir, expected[i]);
    const bytes = await fs.readFile(file);
    shiftFragments(bytes, shift, first + i + 1);
    await fs.writeFile(file, bytes);
    await s.work.putFile(workArea.stream(s.workUrl, `${s.rung}/${expected[i]}`), file);
  }
  if (s.storeInit) await s.work.putFile(workArea.stream(s.workUrl, `${s.rung}/${INIT_SEGMENT}`), initFile);
  return count;
}
