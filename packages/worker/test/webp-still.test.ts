// A window where nothing moves, as WebP: libwebp writes a still file, which the worker wraps, bitstream
// untouched, in an animated container of one frame lasting the play, with the loop count asked for.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TemplateInput } from '@dynamic-image/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { animateStillWebp } from '../src/webp-still.js';
import { binaries, emptyDir, jobFor, makeToFile } from './support/helpers.js';

const run = promisify(execFile);

async function stillClip(): Promise<string> {
  const file = join(await emptyDir('still-'), 'still.mp4');
  await run(binaries.ffmpeg.path, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=0x3060a0:s=320x180:r=10:d=4',
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
  return file;
}

async function make(source: string, overrides: Partial<TemplateInput>) {
  return makeToFile(jobFor(source, { format: 'webp', start: 0, duration: 2, ...overrides }));
}

describe('a still window as WebP', () => {
  it('is an animation of one frame lasting the window, looping as asked, of the still picture', async () => {
    const source = await stillClip();
    for (const [loopCount, field] of [
      [0, 0],
      [3, 3],
    ] as const) {
      const { result, bytes } = await make(source, { loopCount });
      expect(result).toMatchObject({ format: 'webp', width: 320, height: 180, frameCount: 1, duration: 2 });
      expect(inspectAnimation(bytes)).toMatchObject({ frameCount: 1, durationMs: 2000, loopCount: field });
      // libwebp itself reads it as an animation with that delay and loop.
      const meta = await sharp(bytes, { animated: true }).metadata();
      expect(meta).toMatchObject({ pages: 1, delay: [2000], loop: field });
      // The picture is the clip's colour (lossy: within a few levels).
      const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const mean = [0, 1, 2].map(
        (c) => data.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / (data.length / 3),
      );
      expect(mean.map((m) => Math.round(m / 8))).toEqual([0x30, 0x60, 0xa0].map((v) => Math.round(v / 8)));
    }
  });
});

describe('animateStillWebp', () => {
  it('wraps a lossless still with alpha without changing a pixel', async () => {
    const raw = Buffer.alloc(64 * 48 * 4);
    for (let i = 0; i < raw.length; i += 4) raw.set([i % 251, (i >> 3) % 256, 90, (i >> 5) % 256], i);
    const still = await sharp(raw, { raw: { width: 64, height: 48, channels: 4 } })
      .webp({ lossless: true })
      .toBuffer();
    const animated = animateStillWebp(still, 1500, 0);
    if (!animated) throw new Error('a still WebP was not recognised');
    expect(inspectAnimation(animated)).toMatchObject({
      width: 64,
      height: 48,
      frameCount: 1,
      durationMs: 1500,
      loopCount: 0,
    });
    // The same pixels as the still decodes to (libwebp may change the colour under transparent pixels when
    // it encodes; the wrapping changes nothing).
    const decode = (bytes: Uint8Array) => sharp(bytes, { animated: true }).ensureAlpha().raw().toBuffer();
    expect((await decode(animated)).equals(await decode(still))).toBe(true);
    expect(await sharp(animated).metadata()).toMatchObject({ hasAlpha: true });
  });

  it('leaves an animated WebP, and anything else, alone', async () => {
    const frames = Buffer.alloc(16 * 16 * 4 * 2, 200);
    frames.fill(20, 16 * 16 * 4);
    const animated = await sharp(frames, { raw: { width: 16, height: 32, channels: 4, pageHeight: 16 } })
      .webp({ loop: 0, delay: [100, 100] })
      .toBuffer();
    expect(animateStillWebp(animated, 200, 0)).toBeNull();
    expect(animateStillWebp(Buffer.from('GIF89a not a webp at all'), 200, 0)).toBeNull();
  });
});
