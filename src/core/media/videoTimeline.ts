// Which frames a decoder shows, and when, read from the packets of a video
// stream; pure, so it is unit-tested with captured ffprobe output. The packet
// list is cheap (no decoding) and exact where the container is honest; where
// it cannot be (no pts at all, pictures the decoder drops at the start), the
// caller decodes and checks this model against what came out.

/** One packet as ffprobe reports it, in ticks of the stream's timebase. */
export interface PacketFacts {
  pts?: number;
  dts?: number;
  duration?: number;
  /** Flag K: a keyframe. */
  key: boolean;
  /** Flag D: the demuxer hides this picture (edit lists), the decoder never shows it. */
  discard: boolean;
}

export interface VideoTimeline {
  /** Presentation timestamps of every shown frame, ascending. */
  frames: number[];
  /** Duration the container gives the last frame, when it gives one. */
  lastDuration?: number;
  /** Times to seek by: keyframe pts (dts when the packets carry no pts), ascending. */
  keyframes: number[];
  /**
   * Keyframes where a stream copy may cut: nothing after them in decode order shows before them (no open-GOP
   * leading pictures that would need the previous shard), and their packets carry pts.
   */
  cleanCuts: number[];
  /** Every shown frame has a packet pts and none is hidden: a stream copy keeps the frames a decoder shows. */
  copyable: boolean;
  /** Largest pts - dts of any packet: how far before a keyframe's pts a demuxer may place it when seeking. */
  maxReorder: number;
}

export function timelineFromPackets(packets: PacketFacts[]): VideoTimeline {
  const shown = packets.filter((p) => !p.discard);
  const withPts = shown.filter((p): p is PacketFacts & { pts: number } => p.pts !== undefined);
  const byPts = [...withPts].sort((a, b) => a.pts - b.pts);
  const frames = byPts.map((p) => p.pts);
  const last = byPts[byPts.length - 1];
  const keyframes = shown
    .filter((p) => p.key)
    .map((p) => p.pts ?? p.dts)
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  let maxReorder = 0;
  for (const p of packets) if (p.pts !== undefined && p.dts !== undefined) maxReorder = Math.max(maxReorder, p.pts - p.dts);
  return {
    frames,
    lastDuration: last?.duration !== undefined && last.duration > 0 ? last.duration : undefined,
    keyframes,
    cleanCuts: cleanCuts(packets),
    copyable: withPts.length === shown.length && shown.length === packets.length,
    maxReorder,
  };
}

/** Keyframes in decode order that no later packet of their GOP precedes in presentation order. */
function cleanCuts(packets: PacketFacts[]): number[] {
  const cuts: number[] = [];
  for (let i = 0; i < packets.length; i++) {
    const k = packets[i];
    if (!k.key || k.discard || k.pts === undefined) continue;
    let clean = true;
    for (let j = i + 1; j < packets.length && !packets[j].key; j++) {
      const pts = packets[j].pts;
      if (pts === undefined || pts < k.pts) {
        clean = false;
        break;
      }
    }
    if (clean) cuts.push(k.pts);
  }
  return cuts.sort((a, b) => a - b);
}

/**
 * Checks the model against frames a decoder showed from some point on (ascending pts, the first being where
 * decoding began): the decoded frames must be exactly the model's frames from that first one on, up to as many
 * as were decoded. Leading pictures that cannot be decoded at a start show before the first decoded frame.
 */
export function agreesWithDecoded(model: number[], decoded: number[]): boolean {
  if (decoded.length === 0) return false;
  const from = model.findIndex((t) => t >= decoded[0]);
  if (from < 0) return false;
  for (let i = 0; i < decoded.length; i++) if (model[from + i] !== decoded[i]) return false;
  return true;
}

/** The model from the first decoded frame on: pictures a decoder drops at the very start never show. */
export function fromFirstDecoded(timeline: VideoTimeline, firstDecoded: number): VideoTimeline {
  return { ...timeline, frames: timeline.frames.filter((t) => t >= firstDecoded) };
}
