// Reads the container facts of an animated GIF or WebP by walking its blocks. Done by hand
// because ffprobe can't read animated WebP (it skips ANIM/ANMF) and doesn't report GIF loop counts.

export interface AnimationInfo {
  format: 'gif' | 'webp';
  width: number;
  height: number;
  frameCount: number;
  durationMs: number;
  /** 0 means loop forever; null means the file has no loop instruction (plays once). */
  loopCount: number | null;
}

export class AnimationFormatError extends Error {}

function need(bytes: Uint8Array, end: number, what: string): void {
  if (end > bytes.length) throw new AnimationFormatError(`truncated ${what}`);
}

function skipSubBlocks(bytes: Uint8Array, pos: number): number {
  let p = pos;
  for (;;) {
    need(bytes, p + 1, 'sub-block');
    const size = bytes[p] as number;
    p += 1;
    if (size === 0) return p;
    p += size;
  }
}

function inspectGif(bytes: Uint8Array): AnimationInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  need(bytes, 13, 'header');
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const packed = bytes[10] as number;
  let pos = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let frameCount = 0;
  let durationMs = 0;
  let delayCs = 0;
  let loopCount: number | null = null;
  for (;;) {
    need(bytes, pos + 1, 'block');
    const introducer = bytes[pos];
    if (introducer === 0x3b) break;
    if (introducer === 0x21) {
      const label = bytes[pos + 1];
      if (label === 0xf9) {
        need(bytes, pos + 8, 'graphic control');
        delayCs = view.getUint16(pos + 4, true);
        pos += 8;
      } else if (label === 0xff) {
        need(bytes, pos + 14, 'application extension');
        const id = new TextDecoder().decode(bytes.subarray(pos + 3, pos + 14));
        const data = pos + 14;
        if (id === 'NETSCAPE2.0' && bytes[data] === 3 && bytes[data + 1] === 1) {
          need(bytes, data + 4, 'loop block');
          loopCount = view.getUint16(data + 2, true);
        }
        pos = skipSubBlocks(bytes, data);
      } else {
        pos = skipSubBlocks(bytes, pos + 2);
      }
    } else if (introducer === 0x2c) {
      need(bytes, pos + 11, 'image descriptor');
      const local = bytes[pos + 9] as number;
      pos += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      pos = skipSubBlocks(bytes, pos + 1);
      frameCount += 1;
      durationMs += delayCs * 10;
      delayCs = 0;
    } else {
      throw new AnimationFormatError(`unexpected GIF block 0x${(introducer ?? 0).toString(16)}`);
    }
  }
  return { format: 'gif', width, height, frameCount, durationMs, loopCount };
}

const u24 = (b: Uint8Array, p: number) =>
  (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16);

function inspectWebp(bytes: Uint8Array): AnimationInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let frameCount = 0;
  let durationMs = 0;
  let loopCount: number | null = null;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const fourcc = new TextDecoder().decode(bytes.subarray(pos, pos + 4));
    const size = view.getUint32(pos + 4, true);
    const data = pos + 8;
    need(bytes, data + size, `${fourcc} chunk`);
    if (fourcc === 'VP8X') {
      width = u24(bytes, data + 4) + 1;
      height = u24(bytes, data + 7) + 1;
    } else if (fourcc === 'ANIM') {
      loopCount = view.getUint16(data + 4, true);
    } else if (fourcc === 'ANMF') {
      frameCount += 1;
      durationMs += u24(bytes, data + 12);
    } else if (fourcc === 'VP8 ' || fourcc === 'VP8L') {
      // A still WebP: one frame, no animation chunk.
      frameCount += 1;
    }
    pos = data + size + (size & 1);
  }
  return { format: 'webp', width, height, frameCount, durationMs, loopCount };
}

export function inspectAnimation(bytes: Uint8Array): AnimationInfo {
  const magic = new TextDecoder().decode(bytes.subarray(0, 6));
  if (magic === 'GIF89a' || magic === 'GIF87a') return inspectGif(bytes);
  if (magic.startsWith('RIFF') && new TextDecoder().decode(bytes.subarray(8, 12)) === 'WEBP') {
    return inspectWebp(bytes);
  }
  throw new AnimationFormatError('neither a GIF nor a WebP file');
}
