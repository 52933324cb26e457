// A tiny Blu-ray (PGS, .sup) subtitle stream written byte by byte: ffmpeg has
// no encoder that makes bitmap subtitles from nothing, and a test that needs a
// bitmap track only needs a real one, not a pretty one.

/** One PGS segment: "PG", PTS and DTS (90 kHz), type, payload. */
function segment(pts90k: number, type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(13);
  head.write('PG', 0, 'ascii');
  head.writeUInt32BE(pts90k, 2);
  head.writeUInt32BE(0, 6);
  head.writeUInt8(type, 10);
  head.writeUInt16BE(payload.length, 11);
  return Buffer.concat([head, payload]);
}

const PCS = 0x16;
const WDS = 0x17;
const PDS = 0x14;
const ODS = 0x15;
const END = 0x80;

/** A display set showing (or, with `shown` false, clearing) an 8x2 white bar at (16, 16) of a width x height picture. */
function displaySet(pts90k: number, composition: number, width: number, height: number, shown: boolean): Buffer {
  const pcs = Buffer.alloc(11 + (shown ? 8 : 0));
  pcs.writeUInt16BE(width, 0);
  pcs.writeUInt16BE(height, 2);
  pcs.writeUInt8(0x10, 4); // frame rate code, ignored by decoders
  pcs.writeUInt16BE(composition, 5);
  pcs.writeUInt8(shown ? 0x80 : 0x00, 7); // epoch start, or a normal update that removes the object
  pcs.writeUInt8(0, 8); // no palette-only update
  pcs.writeUInt8(0, 9); // palette 0
  pcs.writeUInt8(shown ? 1 : 0, 10);
  if (shown) {
    pcs.writeUInt16BE(0, 11); // object 0
    pcs.writeUInt8(0, 13); // window 0
    pcs.writeUInt8(0, 14); // not cropped
    pcs.writeUInt16BE(16, 15);
    pcs.writeUInt16BE(16, 17);
  }
  const wds = Buffer.from([1, 0, 0, 16, 0, 16, 0, 8, 0, 2]);
  const parts = [segment(pts90k, PCS, pcs), segment(pts90k, WDS, wds)];
  if (shown) {
    // Palette 0, version 0: entry 1 white (Y 235, Cr 128, Cb 128), opaque.
    parts.push(segment(pts90k, PDS, Buffer.from([0, 0, 1, 235, 128, 128, 255])));
    // Each line: a run of 8 pixels of colour 1, then end of line.
    const rle = Buffer.from([0x00, 0x80 | 8, 0x01, 0x00, 0x00, 0x00, 0x80 | 8, 0x01, 0x00, 0x00]);
    const ods = Buffer.alloc(11 + rle.length);
    ods.writeUInt16BE(0, 0); // object 0
    ods.writeUInt8(0, 2); // version
    ods.writeUInt8(0xc0, 3); // first and last fragment
    ods.writeUIntBE(rle.length + 4, 4, 3); // data length counts width and height
    ods.writeUInt16BE(8, 7);
    ods.writeUInt16BE(2, 9);
    rle.copy(ods, 11);
    parts.push(segment(pts90k, ODS, ods));
  }
  parts.push(segment(pts90k, END, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A .sup file showing the bar during each [start, end) second interval. */
export function pgsSubtitle(width: number, height: number, cues: [number, number][]): Buffer {
  return Buffer.concat(cues.flatMap(([start, end], i) => [displaySet(Math.round(start * 90000), 2 * i, width, height, true), displaySet(Math.round(end * 90000), 2 * i + 1, width, height, false)]));
}
