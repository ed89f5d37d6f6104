// Joins GIFs encoded chunk by chunk into one animation, so the libvips encoder (gif-libvips.ts) never
// holds more than a chunk of frames. Each chunk after the first is encoded with the previous chunk's
// last frame in front of it, which is dropped here: its first real frame is then written as a
// difference against what is on screen, as inside a chunk. A chunk's frames that use its global
// colour table get that table as their own local one, since only the first chunk's header is kept.

export class GifStitchError extends Error {}

interface GifFrame {
  /** The blocks of one frame: its graphic control extension (if any), image descriptor, table, data. */
  bytes: Uint8Array[];
}

interface ParsedGif {
  /** Header, logical screen descriptor, global table and the extensions before the first frame. */
  head: Uint8Array;
  globalTable: Uint8Array | null;
  /** Bits 0–2 of the packed field: the global table holds 2^(n+1) entries. */
  globalSizeBits: number;
  frames: GifFrame[];
}

function need(bytes: Uint8Array, end: number): void {
  if (end > bytes.length) throw new GifStitchError('truncated GIF chunk');
}

function afterSubBlocks(bytes: Uint8Array, pos: number): number {
  let p = pos;
  for (;;) {
    need(bytes, p + 1);
    const size = bytes[p] as number;
    p += 1 + size;
    if (size === 0) return p;
  }
}

function parseGif(bytes: Uint8Array): ParsedGif {
  need(bytes, 13);
  const magic = new TextDecoder().decode(bytes.subarray(0, 6));
  if (magic !== 'GIF89a' && magic !== 'GIF87a') throw new GifStitchError('a chunk is not a GIF');
  const packed = bytes[10] as number;
  const globalSizeBits = packed & 7;
  const tableEnd = 13 + (packed & 0x80 ? 3 * 2 ** (globalSizeBits + 1) : 0);
  need(bytes, tableEnd);
  const globalTable = packed & 0x80 ? bytes.subarray(13, tableEnd) : null;
  const frames: GifFrame[] = [];
  let headEnd = -1;
  let pending: Uint8Array | null = null;
  let pos = tableEnd;
  for (;;) {
    need(bytes, pos + 1);
    const introducer = bytes[pos];
    if (introducer === 0x3b) break;
    if (introducer === 0x21) {
      need(bytes, pos + 2);
      const end = afterSubBlocks(bytes, pos + 2);
      // A graphic control extension belongs to the frame that follows it.
      if (bytes[pos + 1] === 0xf9) pending = bytes.subarray(pos, end);
      pos = end;
      continue;
    }
    if (introducer !== 0x2c)
      throw new GifStitchError(`unexpected GIF block 0x${(introducer ?? 0).toString(16)}`);
    if (headEnd < 0) headEnd = pending ? pos - pending.length : pos;
    need(bytes, pos + 10);
    const local = bytes[pos + 9] as number;
    const dataStart = pos + 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
    need(bytes, dataStart + 1);
    const end = afterSubBlocks(bytes, dataStart + 1);
    const parts = pending ? [pending] : [];
    parts.push(bytes.subarray(pos, end));
    frames.push({ bytes: parts });
    pending = null;
    pos = end;
  }
  return { head: bytes.subarray(0, headEnd < 0 ? pos : headEnd), globalTable, globalSizeBits, frames };
}

/** The frame with the chunk's global table made its local table, when it uses the global one. */
function withOwnTable(frame: GifFrame, gif: ParsedGif): Uint8Array[] {
  const last = frame.bytes[frame.bytes.length - 1] as Uint8Array;
  const local = last[9] as number;
  if (local & 0x80 || !gif.globalTable) return frame.bytes;
  const descriptor = Uint8Array.from(last.subarray(0, 10));
  // Local table flag, no sort flag, interlace flag kept, the global table's size.
  descriptor[9] = 0x80 | (local & 0x40) | gif.globalSizeBits;
  return [...frame.bytes.slice(0, -1), descriptor, gif.globalTable, last.subarray(10)];
}

/** The stitched file's head (header, screen, global table, loop): the first chunk's. */
export function gifHead(bytes: Uint8Array): Uint8Array {
  return parseGif(bytes).head;
}

/**
 * A chunk's frames (graphic control, descriptor, table, data), its first `lead` frames left out; with
 * `own`, a frame that uses the chunk's global table gets that table as its local one.
 */
export function gifFrames(bytes: Uint8Array, lead: number, own: boolean): Uint8Array[] {
  const gif = parseGif(bytes);
  return gif.frames.slice(lead).flatMap((frame) => (own ? withOwnTable(frame, gif) : frame.bytes));
}

export const GIF_TRAILER = Uint8Array.of(0x3b);
