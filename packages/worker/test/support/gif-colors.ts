// The colours each frame of a GIF really uses: its image data decoded (LZW) and looked up in the frame's
// colour table (local, else global), the transparent index left out. A test reads what the encoder wrote,
// not the decoded, composited frames (where transparent pixels show an earlier frame's palette).

function subBlocks(bytes: Uint8Array, start: number): { data: number[]; end: number } {
  const data: number[] = [];
  let p = start;
  for (let size = bytes[p] as number; size !== 0; size = bytes[p] as number) {
    for (let i = 1; i <= size; i++) data.push(bytes[p + i] as number);
    p += size + 1;
  }
  return { data, end: p + 1 };
}

/** GIF's variable-width LZW: the colour indices of one frame. */
function lzwIndices(minCodeSize: number, data: number[]): number[] {
  const clear = 1 << minCodeSize;
  const stop = clear + 1;
  let dict: number[][] = [];
  const reset = () => {
    dict = Array.from({ length: clear + 2 }, (_, i) => [i]);
  };
  reset();
  let width = minCodeSize + 1;
  let previous: number[] | undefined;
  const out: number[] = [];
  let bits = 0;
  let count = 0;
  for (const byte of data) {
    bits |= byte << count;
    count += 8;
    while (count >= width) {
      const code = bits & ((1 << width) - 1);
      bits >>>= width;
      count -= width;
      if (code === clear) {
        reset();
        width = minCodeSize + 1;
        previous = undefined;
        continue;
      }
      if (code === stop) return out;
      const entry = dict[code] ?? (previous ? [...previous, previous[0] as number] : []);
      out.push(...entry);
      if (previous && dict.length < 4096) dict.push([...previous, entry[0] as number]);
      if (dict.length === 1 << width && width < 12) width += 1;
      previous = entry;
    }
  }
  return out;
}

const table = (bytes: Uint8Array, at: number, packed: number) => {
  const size = 2 << (packed & 7);
  return { colors: bytes.subarray(at, at + size * 3), end: at + size * 3 };
};

/** Per frame, the distinct RGB colours its pixels use (as 0xRRGGBB), transparency left out. */
export function gifFrameColors(bytes: Uint8Array): Array<Set<number>> {
  let p = 13;
  let global: Uint8Array | undefined;
  if ((bytes[10] as number) & 0x80) {
    const t = table(bytes, 13, bytes[10] as number);
    global = t.colors;
    p = t.end;
  }
  let transparent = -1;
  const frames: Array<Set<number>> = [];
  while (p < bytes.length && bytes[p] !== 0x3b) {
    if (bytes[p] === 0x21) {
      if (bytes[p + 1] === 0xf9) transparent = (bytes[p + 3] as number) & 1 ? (bytes[p + 6] as number) : -1;
      p = subBlocks(bytes, p + 2).end;
      continue;
    }
    if (bytes[p] !== 0x2c) throw new Error(`unexpected GIF block 0x${bytes[p]?.toString(16)} at ${p}`);
    const packed = bytes[p + 9] as number;
    p += 10;
    let colors = global;
    if (packed & 0x80) {
      const t = table(bytes, p, packed);
      colors = t.colors;
      p = t.end;
    }
    if (!colors) throw new Error('a frame without a colour table');
    const minCodeSize = bytes[p] as number;
    const { data, end } = subBlocks(bytes, p + 1);
    p = end;
    const used = new Set<number>();
    for (const index of new Set(lzwIndices(minCodeSize, data))) {
      if (index === transparent) continue;
      const c = colors.subarray(index * 3, index * 3 + 3);
      used.add(((c[0] as number) << 16) | ((c[1] as number) << 8) | (c[2] as number));
    }
    frames.push(used);
    transparent = -1;
  }
  return frames;
}
