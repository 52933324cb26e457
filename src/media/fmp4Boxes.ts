// The few ISO BMFF (fragmented MP4) boxes streaming output reads or rewrites
// in place: each shard's muxer starts its fragments' decode time at 0, and the
// shard's place on the job's grid is added here, so the timestamps
// (tfdt / baseMediaDecodeTime) and fragment numbers run on across shards.

interface Box {
  type: string;
  /** Offset of the box's header. */
  start: number;
  /** Offset of the box's payload. */
  body: number;
  end: number;
}

function boxesIn(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) size = to - at;
    if (size < body - at || at + size > to) throw new Error(`internal: malformed MP4 box "${type}" at ${at}`);
    out.push({ type, start: at, body, end: at + size });
    at += size;
  }
  return out;
}

/** Sample entries of the video codecs streaming output writes (H.264, HEVC with its parameter sets in hvcC). */
const VISUAL_SAMPLE_ENTRIES = ['avc1', 'hvc1', 'av01'];

/** Every box below the top level whose path of types is `path` (e.g. moof/traf/tfdt). */
function find(buf: Buffer, path: string[]): Box[] {
  let level: Box[] = boxesIn(buf, 0, buf.length).filter((b) => b.type === path[0]);
  for (const type of path.slice(1)) {
    level = level.flatMap((parent) => {
      // stsd and the visual sample entries have fixed fields before their child boxes.
      const skip = parent.type === 'stsd' ? 8 : VISUAL_SAMPLE_ENTRIES.includes(parent.type) ? 78 : 0;
      return boxesIn(buf, parent.body + skip, parent.end).filter((b) => b.type === type);
    });
  }
  return level;
}

/** The media timescale of the (single) track of an init segment. */
export function trackTimescale(init: Buffer): number {
  const mdhd = find(init, ['moov', 'trak', 'mdia', 'mdhd'])[0];
  if (!mdhd) throw new Error('internal: init segment without mdhd');
  const version = init[mdhd.body];
  return init.readUInt32BE(mdhd.body + (version === 1 ? 20 : 12));
}

/** RFC 6381 codec string of the video track in an init segment: avc1.PPCCLL from avcC, HEVC's from hvcC, AV1's from av1C. */
export function videoCodecString(init: Buffer): string {
  const stsd = ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'];
  const avcC = find(init, [...stsd, 'avc1', 'avcC'])[0];
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  if (avcC) return `avc1.${hex(init[avcC.body + 1])}${hex(init[avcC.body + 2])}${hex(init[avcC.body + 3])}`;
  const hvcC = find(init, [...stsd, 'hvc1', 'hvcC'])[0];
  if (hvcC) return hevcCodecString(init.subarray(hvcC.body, hvcC.end));
  const av1C = find(init, [...stsd, 'av01', 'av1C'])[0];
  if (av1C) return av1CodecString(init.subarray(av1C.body, av1C.end));
  throw new Error('internal: init segment without an avcC, hvcC or av1C box');
}

/**
 * AV1 ISOBMFF binding, codecs parameter: av01.profile.level{M|H}.bitdepth, level and bit depth in two digits
 * (Main profile, level 4.0, 8 bits: av01.0.08M.08). The optional colour fields are left out: they default to
 * what the encoder writes for SDR 4:2:0.
 */
export function av1CodecString(av1C: Buffer): string {
  const profile = av1C[1] >> 5;
  const level = av1C[1] & 0x1f;
  const tier = av1C[2] & 0x80 ? 'H' : 'M';
  const highBitdepth = (av1C[2] & 0x40) !== 0;
  const twelveBit = (av1C[2] & 0x20) !== 0;
  const depth = highBitdepth ? (twelveBit ? 12 : 10) : 8;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `av01.${profile}.${two(level)}${tier}.${two(depth)}`;
}

/**
 * ISO/IEC 14496-15 annex E: hvc1.[space]profile.compatibility.{L|H}level[.constraints], compatibility flags
 * bit-reversed in hex, constraint bytes in hex without trailing zero bytes (Main, level 4: hvc1.1.6.L120.90).
 */
export function hevcCodecString(hvcC: Buffer): string {
  const space = ['', 'A', 'B', 'C'][hvcC[1] >> 6];
  const tier = hvcC[1] & 0x20 ? 'H' : 'L';
  const profile = hvcC[1] & 0x1f;
  const flags = hvcC.readUInt32BE(2);
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) if (flags & (1 << bit)) reversed |= 1 << (31 - bit);
  const constraints = [...hvcC.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const parts = [`hvc1.${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${hvcC[12]}`, ...constraints.map((b) => b.toString(16).toUpperCase())];
  return parts.join('.');
}

/** Ticks every fragment of a media segment covers: the sum of its samples' durations (trun, else tfhd's default). */
export function fragmentTicks(segment: Buffer): bigint {
  let total = 0n;
  for (const traf of find(segment, ['moof', 'traf'])) {
    const children = boxesIn(segment, traf.body, traf.end);
    const tfhd = children.find((b) => b.type === 'tfhd');
    let defaultDuration = 0;
    if (tfhd) {
      const flags = segment.readUInt32BE(tfhd.body) & 0xffffff;
      const at = tfhd.body + 8 + (flags & 0x1 ? 8 : 0) + (flags & 0x2 ? 4 : 0);
      if (flags & 0x8) defaultDuration = segment.readUInt32BE(at);
    }
    for (const trun of children.filter((b) => b.type === 'trun')) {
      const flags = segment.readUInt32BE(trun.body) & 0xffffff;
      const count = segment.readUInt32BE(trun.body + 4);
      let at = trun.body + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
      const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
      for (let i = 0; i < count; i++, at += perSample) total += BigInt(flags & 0x100 ? segment.readUInt32BE(at) : defaultDuration);
    }
  }
  return total;
}

/** Decode times (tfdt) of every fragment in a media segment, in track ticks. */
export function fragmentDecodeTimes(segment: Buffer): bigint[] {
  return find(segment, ['moof', 'traf', 'tfdt']).map((b) => (segment[b.body] === 1 ? segment.readBigUInt64BE(b.body + 4) : BigInt(segment.readUInt32BE(b.body + 4))));
}

/**
 * Moves every fragment of a media segment `ticks` later and numbers its fragments from `firstSequence`, in place.
 * A 32-bit tfdt that would overflow is an error: the muxer writes 64-bit ones (version 1).
 */
export function shiftFragments(segment: Buffer, ticks: bigint, firstSequence: number): void {
  for (const b of find(segment, ['moof', 'traf', 'tfdt'])) {
    if (segment[b.body] === 1) segment.writeBigUInt64BE(segment.readBigUInt64BE(b.body + 4) + ticks, b.body + 4);
    else {
      const t = BigInt(segment.readUInt32BE(b.body + 4)) + ticks;
      if (t > 0xffffffffn) throw new Error('internal: a 32-bit tfdt cannot hold the shifted decode time');
      segment.writeUInt32BE(Number(t), b.body + 4);
    }
  }
  find(segment, ['moof', 'mfhd']).forEach((b, i) => segment.writeUInt32BE(firstSequence + i, b.body + 4));
}
