// A still WebP made animated again. libwebp's animation encoder merges a frame identical to the one before
// into it, and when every frame of the window is the same (a slide, a paused screen, a still shot) it writes
// a simple still file: no VP8X, no ANIM, no frame duration. That is the right picture but not the result
// asked for (a loop count, a play time), so the still's own bitstream is wrapped, untouched, in an animated
// container of one frame lasting the whole play. Written by hand because it is a container of three small
// chunks around bytes kept as they are (libwebp's mux tool isn't on every machine; sharp would re-encode).

const fourcc = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const u24 = (bytes: Uint8Array, at: number) =>
  (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16);

function chunk(name: string, data: Uint8Array): Uint8Array {
  const padded = data.length + (data.length & 1);
  const out = new Uint8Array(8 + padded);
  out.set(new TextEncoder().encode(name), 0);
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

function putU24(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >> 8) & 0xff;
  out[at + 2] = (value >> 16) & 0xff;
}

/** The canvas of a simple WebP's bitstream, and whether it carries alpha. */
function stillGeometry(bytes: Uint8Array): { width: number; height: number; alpha: boolean } | null {
  let pos = 12;
  let alpha = false;
  while (pos + 8 <= bytes.length) {
    const name = fourcc(bytes, pos);
    const size = new DataView(bytes.buffer, bytes.byteOffset + pos + 4, 4).getUint32(0, true);
    const data = pos + 8;
    if (data + size > bytes.length) return null;
    if (name === 'ALPH') alpha = true;
    if (name === 'VP8 ' && size >= 10) {
      // Key frame header: 3 bytes of frame tag, the start code 9d 01 2a, then 14-bit width and height.
      if (bytes[data + 3] !== 0x9d || bytes[data + 4] !== 0x01 || bytes[data + 5] !== 0x2a) return null;
      const width = ((bytes[data + 6] as number) | ((bytes[data + 7] as number) << 8)) & 0x3fff;
      const height = ((bytes[data + 8] as number) | ((bytes[data + 9] as number) << 8)) & 0x3fff;
      return { width, height, alpha };
    }
    if (name === 'VP8L' && size >= 5) {
      if (bytes[data] !== 0x2f) return null;
      const bits = u24(bytes, data + 1) | ((bytes[data + 4] as number) << 24);
      return {
        width: (bits & 0x3fff) + 1,
        height: ((bits >>> 14) & 0x3fff) + 1,
        alpha: ((bits >>> 28) & 1) === 1,
      };
    }
    pos = data + size + (size & 1);
  }
  return null;
}

/**
 * `bytes` as an animated WebP of one frame lasting `durationMs`, looping `loopField` (the ANIM field: 0 =
 * forever); null when `bytes` is not a simple (still) WebP, which is then left as it is.
 */
export function animateStillWebp(
  bytes: Uint8Array,
  durationMs: number,
  loopField: number,
): Uint8Array | null {
  if (fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WEBP' || fourcc(bytes, 12) === 'VP8X') return null;
  const geometry = stillGeometry(bytes);
  if (!geometry) return null;
  const { width, height, alpha } = geometry;
  const vp8x = new Uint8Array(10);
  vp8x[0] = 0x02 | (alpha ? 0x10 : 0); // animation, and alpha when the still has it
  putU24(vp8x, 4, width - 1);
  putU24(vp8x, 7, height - 1);
  const anim = new Uint8Array(6); // background colour 0 (transparent), then the loop count
  new DataView(anim.buffer).setUint16(4, loopField, true);
  const frameData = bytes.subarray(12); // the still's chunks (ALPH, VP8 or VP8L), as they are
  const anmf = new Uint8Array(16 + frameData.length);
  putU24(anmf, 6, width - 1);
  putU24(anmf, 9, height - 1);
  putU24(anmf, 12, Math.min(0xffffff, Math.round(durationMs)));
  anmf[15] = 0x02; // no blending, no disposal
  anmf.set(frameData, 16);
  const body = [chunk('VP8X', vp8x), chunk('ANIM', anim), chunk('ANMF', anmf)];
  const size = 4 + body.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(8 + size);
  out.set(new TextEncoder().encode('RIFF'), 0);
  new DataView(out.buffer).setUint32(4, size, true);
  out.set(new TextEncoder().encode('WEBP'), 8);
  let at = 12;
  for (const c of body) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
