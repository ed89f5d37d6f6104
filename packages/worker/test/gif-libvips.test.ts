// The libvips GIF backend on real clips: ffmpeg's raw frames, encoded by sharp in chunks and joined.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { TemplateInput } from '@dynamic-image/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { deliverToFile } from '../src/delivery.js';
import { DEFAULT_ENCODE_SETTINGS } from '../src/encode.js';
import { chunksAtOnce, DEFAULT_CHUNK_LIMITS, frameDelayMs, libvipsGifWriter } from '../src/gif-libvips.js';
import { GIF_TRAILER, gifFrames, gifHead } from '../src/gif-stitch.js';
import { runPipeline } from '../src/pipeline.js';
import { binaries, emptyDir, ffprobeFrames, jobFor, samples, workDir } from './support/helpers.js';

const run = promisify(execFile);

async function make(overrides: Partial<TemplateInput>, chunkFrames: number) {
  const job = jobFor(samples.landscape, { width: 320, ...overrides });
  const frameBytes = 320 * 180 * 4;
  const result = await runPipeline(
    job,
    {
      binaries,
      tmpDir: await emptyDir('tmp-'),
      sourcePolicy: { allowFile: true },
      timeoutSeconds: 120,
      encodeSettings: {
        ...DEFAULT_ENCODE_SETTINGS,
        // Small chunks, so a 2 s window is joined from several, two encoded at a time.
        chunks: { chunkBytes: (chunkFrames + 1) * frameBytes, parallel: 2 },
      },
    },
    async (output) => {
      await deliverToFile(job, output);
      return output.result;
    },
  );
  if (job.delivery.kind !== 'file') throw new Error('file delivery expected');
  return { result, path: job.delivery.path };
}

/** SSIM on luma of a GIF against the same window through ffmpeg's own fps and scale. */
async function ssim(gif: string, fps: number): Promise<number> {
  const { stderr } = await run(binaries.ffmpeg.path, [
    '-hide_banner',
    '-i',
    gif,
    '-ss',
    '1',
    '-t',
    '2',
    '-i',
    samples.landscape,
    '-lavfi',
    `[1:v]fps=${fps},scale=320:180:flags=lanczos,setsar=1,format=yuv420p[r];[0:v]format=yuv420p[g];[g][r]ssim`,
    '-f',
    'null',
    '-',
  ]);
  return Number(/SSIM Y:([\d.]+)/.exec(stderr)?.[1]);
}

describe('the libvips GIF backend (profile quality)', () => {
  it.each([
    [10, 4],
    [15, 6],
  ])(
    'at %i fps in chunks of %i frames: frames, delays, size, loop, and a decodable picture',
    async (fps, chunk) => {
      const { result, path } = await make({ profile: 'quality', fps }, chunk);
      const frames = 2 * fps;
      const bytes = await readFile(path);
      expect(inspectAnimation(bytes)).toMatchObject({
        format: 'gif',
        width: 320,
        height: 180,
        frameCount: frames,
        durationMs: 2000,
        loopCount: 0,
      });
      // libvips reads it back frame by frame with the delays ffmpeg's muxer would write (15 fps: 7, 7, 6 cs…).
      const meta = await sharp(bytes, { animated: true }).metadata();
      expect(meta.pages).toBe(frames);
      expect(meta.loop).toBe(0);
      expect(meta.delay).toEqual(Array.from({ length: frames }, (_, i) => frameDelayMs(i, fps)));
      // ffmpeg decodes every frame, and the joined chunks still show the source.
      expect(await ffprobeFrames(path)).toMatchObject({ codec: 'gif', width: 320, height: 180, frames });
      expect(await ssim(path, fps)).toBeGreaterThan(0.95);
      expect(result).toMatchObject({
        format: 'gif',
        frameCount: frames,
        encoder: { backend: 'libvips', profile: 'quality', settings: { effort: 7, parallel: 2 } },
      });
    },
  );

  it('a template without a profile is made by the ffmpeg graph, and says so', async () => {
    const { result } = await make({}, 4);
    expect(result.encoder).toMatchObject({ backend: 'ffmpeg', profile: 'balanced' });
    expect(result.encoder?.settings).toMatchObject({ statsMode: 'diff', dither: 'bayer:bayer_scale=5' });
  });
});

describe('joining chunks', () => {
  it('every frame keeps its own colours across chunk boundaries (palettes moved into the frames)', async () => {
    // Three colours per frame (a table of four, room for the transparent index), rotated from frame to
    // frame, and three new colours every third frame, so that a chunk's first frame has its lead frame's
    // palette: it is written against the chunk's global table, which the join must make its own.
    const [w, h] = [60, 30];
    const trio = (g: number) => [
      [(g * 97) % 256, (g * 53 + 40) % 256, (g * 181) % 256],
      [255 - ((g * 97) % 256), (g * 29 + 200) % 256, (g * 71 + 10) % 256],
      [(g * 41 + 120) % 256, 255 - ((g * 53 + 40) % 256), (g * 13 + 90) % 256],
    ];
    const frames = Array.from({ length: 11 }, (_, i) => {
      const colours = trio(Math.floor((i + 2) / 3));
      return [0, 1, 2].map((band) => colours[(band + i) % 3]) as number[][];
    });
    const raw = Buffer.concat(
      frames.map((bands) => {
        const frame = Buffer.alloc(w * h * 4);
        for (let p = 0; p < w * h; p++)
          frame.set([...(bands[Math.floor((p % w) / 20)] as number[]), 255], p * 4);
        return frame;
      }),
    );
    const file = join(await mkdtemp(join(workDir, 'stitch-')), 'bands.gif');
    const writer = libvipsGifWriter(
      { width: w, height: h, fps: 10, frameCount: 11, loop: 0, file, maxOutputBytes: 1 << 20 },
      { effort: 7, dither: 0, interFrameMaxError: 0, interPaletteMaxError: 3 },
      { chunkBytes: 4 * w * h * 4, parallel: 2 },
    );
    // Delivered in odd-sized pieces, as a pipe does.
    const pieces = Array.from({ length: Math.ceil(raw.length / 1000) }, (_, i) =>
      raw.subarray(i * 1000, i * 1000 + 1000),
    );
    await writer.readOutput(Readable.from(pieces));
    expect(writer.chunks()).toBe(4);
    const bytes = await readFile(file);
    expect(inspectAnimation(bytes)).toMatchObject({ frameCount: 11, width: w, height: h, loopCount: 0 });
    for (const [page, bands] of frames.entries()) {
      const { data } = await sharp(bytes, { page }).raw().toBuffer({ resolveWithObject: true });
      const at = (x: number) => [...data.subarray(x * 4, x * 4 + 3)];
      expect([at(0), at(30), at(59)], `frame ${page}`).toEqual(bands);
    }
  });

  it("a frame written against its chunk's global table carries that table once joined", async () => {
    const solid = (rgb: number[]) =>
      sharp(Buffer.from(Array.from({ length: 16 * 16 }, () => [...rgb, 255]).flat()), {
        raw: { width: 16, height: 16, channels: 4 },
      })
        .gif({ effort: 7, dither: 0 })
        .toBuffer();
    const [red, blue] = [await solid([200, 10, 10]), await solid([10, 10, 200])];
    // A one-frame GIF's frame always uses the global table: joined after red's header, it must stay blue.
    const joined = Buffer.concat([
      gifHead(red),
      ...gifFrames(red, 0, false),
      ...gifFrames(blue, 0, true),
      GIF_TRAILER,
    ]);
    const colour = async (page: number) => [
      ...(await sharp(joined, { page }).raw().toBuffer()).subarray(0, 3),
    ];
    expect(await colour(0)).toEqual([200, 10, 10]);
    expect(await colour(1)).toEqual([10, 10, 200]);
  });

  it('stops at the byte cap', async () => {
    const [w, h] = [128, 128];
    const noise = Buffer.alloc(w * h * 4 * 6);
    for (let i = 0; i < noise.length; i++) noise[i] = i % 4 === 3 ? 255 : (i * 2654435761) >>> 24;
    const file = join(await mkdtemp(join(workDir, 'cap-')), 'noise.gif');
    const writer = libvipsGifWriter(
      { width: w, height: h, fps: 10, frameCount: 6, loop: 0, file, maxOutputBytes: 20_000 },
      { effort: 1, dither: 1, interFrameMaxError: 0, interPaletteMaxError: 3 },
      { chunkBytes: 3 * w * h * 4, parallel: 1 },
    );
    await expect(writer.readOutput(Readable.from([noise]))).rejects.toMatchObject({
      name: 'Error',
      message: expect.stringMatching(/byte cap/),
    });
  });
});

describe('chunks at once, within the memory budget', () => {
  const frame = (w: number, h: number) => w * h * 4;
  it.each([
    // [output, frames a chunk (with its lead), chunks at once]
    ['480×270', frame(480, 270), 21, 2],
    ['1280×720', frame(1280, 720), 18, 2],
    ['1920×1080', frame(1920, 1080), 8, 1],
    ['3840×2160', frame(3840, 2160), 3, 1],
  ])('%s: %i-byte frames, %i a chunk → %i at once', (_, frameBytes, perChunk, expected) => {
    expect(chunksAtOnce(DEFAULT_CHUNK_LIMITS, frameBytes, perChunk)).toBe(expected);
  });

  it('never more than asked for, never fewer than one, and a larger budget allows more', () => {
    const big = frame(1920, 1080);
    expect(chunksAtOnce({ chunkBytes: 1, parallel: 3, memoryBytes: 10 * 1024 ** 3 }, big, 8)).toBe(3);
    expect(chunksAtOnce({ chunkBytes: 1, parallel: 2, memoryBytes: 1 }, big, 8)).toBe(1);
    expect(chunksAtOnce({ chunkBytes: 1, parallel: 2, memoryBytes: 512 * 1024 ** 2 }, big, 8)).toBe(2);
  });
});
