// The frames a decoder shows from one video stream: the packet list, checked
// against a short decode of the head and of the last GOP, and replaced by a
// full decode where the packets cannot tell (no pts) or disagree with the
// decoder. Probe and split both read it, the same way, so they agree.
import { parseTimeBase, rescalePts } from '../core/media/frameGrid';
import type { Rational } from '../core/media/rational';
import { agreesWithDecoded, fromFirstDecoded, timelineFromPackets, type PacketFacts, type VideoTimeline } from '../core/media/videoTimeline';
import { decodeFrameTimes } from './decodedFrames';
import { scanPackets } from './packetScan';

/** Frames decoded at the head: enough to cover leading pictures a decoder drops at the start. */
const HEAD_FRAMES = 32;
/** Seconds a seek aims before the keyframe it needs, on top of the stream's reorder delay. */
export const SEEK_MARGIN_SECONDS = 1;

export interface TimelineSource {
  file: string;
  stream: number;
  /** The stream's timebase, "num/den". */
  timeBase: string;
  /** The container's start time in seconds: ffmpeg's -ss counts from it. */
  formatStart: number;
  /** The demuxer seeks through a keyframe index (MP4/MOV, Matroska): a seek just past a clean keyframe lands on it. */
  indexedSeek?: boolean;
}

/** Containers whose demuxer seeks through an index of every keyframe (MP4/MOV, Matroska/WebM). */
export function seeksByIndex(formatName: string | undefined): boolean {
  return (formatName ?? '').split(',').some((f) => f === 'mov' || f === 'matroska');
}

/** How far after the keyframe an indexed seek aims: past rounding, far short of the next frame. */
const INDEXED_SEEK_NUDGE = 0.001;

export interface ReadTimeline extends VideoTimeline {
  /** How the frames were established: from packets checked at head and tail, or by decoding everything. */
  method: 'packets' | 'decoded';
  /** The packets, in decode order. */
  packets: PacketFacts[];
}

async function decoded(src: TimelineSource, tb: Rational, over: { seekSeconds?: number; maxFrames?: number }, signal?: AbortSignal): Promise<number[]> {
  const out = await decodeFrameTimes({ input: src.file, stream: src.stream, ...over }, signal);
  const from = out.timeBase ? parseTimeBase(out.timeBase) : tb;
  const same = from.num * tb.den === tb.num * from.den;
  return out.pts.map((p) => (same ? p : rescalePts(p, from, tb))).sort((a, b) => a - b);
}

export async function readTimeline(src: TimelineSource, signal?: AbortSignal): Promise<ReadTimeline> {
  const tb = parseTimeBase(src.timeBase);
  // The head decode needs nothing from the packets: it runs while they are read. Its failure is seen where it is
  // awaited; a path that never awaits it stops it and decodes everything instead, which fails the same way.
  const headAbort = new AbortController();
  const headDecode = decoded(src, tb, { maxFrames: HEAD_FRAMES }, signal ? AbortSignal.any([signal, headAbort.signal]) : headAbort.signal);
  headDecode.catch(() => undefined);
  const { packets } = await scanPackets(src.file, src.stream, signal);
  const fromPackets = timelineFromPackets(packets);
  const everyPts = packets.every((p) => p.discard || p.pts !== undefined);
  if (packets.length > 0 && everyPts && fromPackets.keyframes.length > 1) {
    const last = fromPackets.keyframes[fromPackets.keyframes.length - 1];
    // Only a clean keyframe can start a decode by itself; otherwise the GOP before it is needed too.
    const seek = src.indexedSeek && fromPackets.cleanCuts.includes(last)
      ? last * (tb.num / tb.den) + INDEXED_SEEK_NUDGE - src.formatStart
      : (last - fromPackets.maxReorder) * (tb.num / tb.den) - SEEK_MARGIN_SECONDS - src.formatStart;
    // Head and tail are decoded side by side: both are short, and most of each is starting the decoder.
    const [head, tail] = await Promise.all([headDecode, decoded(src, tb, seek > 0 ? { seekSeconds: seek } : {}, signal)]);
    if (head.length === 0) return { ...fromPackets, frames: [], method: 'decoded', packets };
    const model = fromFirstDecoded(fromPackets, head[0]);
    if (agreesWithDecoded(model.frames, head) && agreesWithDecoded(model.frames, tail) && tail[tail.length - 1] === model.frames[model.frames.length - 1]) {
      return { ...model, method: 'packets', packets };
    }
  }
  // The packets cannot say what shows: take what the decoder shows, and never copy-split.
  headAbort.abort();
  const frames = await decoded(src, tb, {}, signal);
  const lastPacket = packets.find((p) => p.pts !== undefined && p.pts === frames[frames.length - 1]);
  return {
    ...fromPackets,
    frames,
    lastDuration: lastPacket?.duration !== undefined && lastPacket.duration > 0 ? lastPacket.duration : undefined,
    cleanCuts: [],
    copyable: false,
    method: 'decoded',
    packets,
  };
}
