// The libvips GIF backend: ffmpeg decodes, seeks, applies fps and scale and pipes raw RGBA frames
// (encode.ts, buildFrameRun); libvips, through sharp, quantises each frame with libimagequant and
// writes the GIF with cgif. sharp takes a whole image at once, so frames are encoded in chunks of a
// bounded number of bytes, a few chunks at a time (libimagequant runs on one core per image; fewer for large frames), and
// the chunks are joined as they finish (gif-stitch.ts): memory is bounded by chunk size × chunks in
// flight, whatever the window's length.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DynamicImageError, type LibvipsGifSettings } from '@dynamic-image/core';
import { GIF_TRAILER, gifFrames, gifHead } from './gif-stitch.js';

export interface LibvipsGifTarget {
  width: number;
  height: number;
  fps: number;
  /** Frames the window should hold: shared evenly between the chunks encoded at once. */
  frameCount: number;
  /** Plays in all, 0 = forever: libvips counts as people do (1 writes no loop block, N the field N − 1). */
  loop: number;
  /** Where the GIF is written, chunk by chunk. */
  file: string;
  maxOutputBytes: number;
  signal?: AbortSignal | undefined;
}

export interface ChunkLimits {
  /** Raw RGBA bytes of one chunk (its frames × width × height × 4); at least two frames are taken. */
  chunkBytes: number;
  /** Chunks encoded at once at most; each holds its frames until written. */
  parallel: number;
  /**
   * What the frames held (the chunk filling and those encoding) and the quantiser's working memory may
   * take together: large frames encode fewer chunks at once. Unset: MEMORY_BUDGET_BYTES.
   */
  memoryBytes?: number;
}

/**
 * 64 MiB chunks, two at a time where the budget allows: at 480 px two encode while one fills; at 1080p a
 * chunk is 7 frames (and a lead frame) and one encodes at a time.
 */
export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { chunkBytes: 64 * 1024 * 1024, parallel: 2 };

/** 256 MiB of frames and quantiser memory: with Node, sharp and cgif, a worker stays under 400 MB. */
export const MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * libimagequant's working memory while it quantises one frame of a chunk: a float copy of the frame
 * (16 bytes a pixel) and its dither and contrast maps (measured: a 1080p chunk adds about 40 MB).
 */
const QUANTISER_BYTES_PER_PIXEL = 20;

/** Chunks encoded at once: as many as `parallel` allows and the budget holds beside the one filling. */
export function chunksAtOnce(limits: ChunkLimits, frameBytes: number, framesPerChunk: number): number {
  const chunk = framesPerChunk * frameBytes;
  const encoding = chunk + (frameBytes / 4) * QUANTISER_BYTES_PER_PIXEL;
  const budget = limits.memoryBytes ?? MEMORY_BUDGET_BYTES;
  return Math.max(1, Math.min(limits.parallel, Math.floor((budget - chunk) / encoding)));
}

type Sharp = typeof import('sharp');
let loaded: Promise<Sharp> | null = null;
/** sharp is loaded on first use: the CLI's start-up and ffmpeg-only jobs don't pay for it. */
export function loadSharp(): Promise<Sharp> {
  loaded ??= import('sharp').then((module) => {
    const sharp = (module as unknown as { default: Sharp }).default ?? module;
    // Each chunk is encoded once: libvips' operation cache would only keep frames alive.
    sharp.cache(false);
    return sharp;
  });
  // A failed load is tried again by the next job (a reinstall shouldn't need a restart).
  loaded.catch(() => {
    loaded = null;
  });
  return loaded;
}

/** GIF delays are whole centiseconds: each frame's is rounded from its timestamp, as ffmpeg's muxer does. */
export function frameDelayMs(index: number, fps: number): number {
  return (Math.round(((index + 1) * 100) / fps) - Math.round((index * 100) / fps)) * 10;
}

export class OutputTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`output passed the byte cap at ${bytes} bytes`);
  }
}

/**
 * Reads raw frames from ffmpeg's standard output and writes the GIF: resolves once the file is
 * complete. Throws OutputTooLarge past the cap, and DynamicImageError CANCELLED once the signal fires.
 */
export function libvipsGifWriter(
  target: LibvipsGifTarget,
  settings: LibvipsGifSettings,
  limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
): { readOutput: (stdout: Readable) => Promise<void>; chunks: () => number; parallel: () => number } {
  const frameBytes = target.width * target.height * 4;
  // Frames of a chunk besides the lead frame (the previous chunk's last, dropped when joining): what
  // the byte limit allows, and no more than an even share of the window, so every core gets a chunk.
  const perChunk = Math.max(
    2,
    Math.min(Math.floor(limits.chunkBytes / frameBytes) - 1, Math.ceil(target.frameCount / limits.parallel)),
  );
  const parallel = chunksAtOnce(limits, frameBytes, perChunk + 1);
  let chunkCount = 0;

  const encode = async (frames: Buffer, count: number, first: number): Promise<Uint8Array[]> => {
    const sharp = await loadSharp();
    const lead = first === 0 ? 0 : 1;
    const delay = Array.from({ length: count }, (_, i) => frameDelayMs(first - lead + i, target.fps));
    const gif = await sharp(frames.subarray(0, count * frameBytes), {
      raw: { width: target.width, height: target.height * count, channels: 4, pageHeight: target.height },
      limitInputPixels: false,
    })
      .gif({
        effort: settings.effort,
        dither: settings.dither,
        interFrameMaxError: settings.interFrameMaxError,
        interPaletteMaxError: settings.interPaletteMaxError,
        // A template's gifColors (libvips' default: 256).
        ...(settings.colors === undefined ? {} : { colors: settings.colors }),
        loop: target.loop,
        delay,
        // The frame count is part of the contract (one frame per 1/fps): duplicates stay frames.
        keepDuplicateFrames: true,
      })
      .toBuffer()
      .catch((err: Error) => {
        throw new DynamicImageError('ENCODE_FAILED', `libvips failed: ${err.message.split('\n')[0]}`);
      });
    return first === 0 ? [gifHead(gif), ...gifFrames(gif, 0, false)] : gifFrames(gif, lead, true);
  };

  const readOutput = async (stdout: Readable) => {
    const file = await open(target.file, 'w');
    let written = 0;
    const write = async (parts: Uint8Array[]) => {
      for (const part of parts) {
        written += part.length;
        if (written > target.maxOutputBytes) throw new OutputTooLarge(written);
        await file.write(part);
      }
    };
    const inFlight: Array<Promise<Uint8Array[]>> = [];
    // Written in order; a failed chunk fails the run (the others are still awaited, so none is left running).
    const flushOldest = async () => write(await (inFlight.shift() as Promise<Uint8Array[]>));
    let buffer = Buffer.allocUnsafe((perChunk + 1) * frameBytes);
    let filled = 0;
    let first = 0;
    const dispatch = async () => {
      if (target.signal?.aborted) throw new DynamicImageError('CANCELLED');
      const count = Math.floor(filled / frameBytes);
      const lead = first === 0 ? 0 : 1;
      if (count <= lead) return;
      const promise = encode(buffer, count, first);
      promise.catch(() => {});
      inFlight.push(promise);
      chunkCount++;
      const last = buffer.subarray((count - 1) * frameBytes, count * frameBytes);
      first += count - lead;
      buffer = Buffer.allocUnsafe((perChunk + 1) * frameBytes);
      last.copy(buffer, 0);
      filled = frameBytes;
      while (inFlight.length >= parallel) await flushOldest();
    };
    try {
      for await (const data of stdout as AsyncIterable<Buffer>) {
        if (target.signal?.aborted) throw new DynamicImageError('CANCELLED');
        let offset = 0;
        while (offset < data.length) {
          const take = Math.min(data.length - offset, buffer.length - filled);
          data.copy(buffer, filled, offset, offset + take);
          filled += take;
          offset += take;
          if (filled === buffer.length) await dispatch();
        }
      }
      await dispatch();
      while (inFlight.length) await flushOldest();
      if (written > 0) await write([GIF_TRAILER]);
    } finally {
      await Promise.allSettled(inFlight);
      await file.close();
    }
  };
  return { readOutput, chunks: () => chunkCount, parallel: () => parallel };
}
