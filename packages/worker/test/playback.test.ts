import { DynamicImageError, type TemplateInput } from '@dynamic-image/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { DEFAULT_ENCODE_SETTINGS, type EncodeSettings } from '../src/encode.js';
import { jobFor, makeToFile, samples } from './support/helpers.js';

async function make(source: string, overrides: Partial<TemplateInput>, encodeSettings?: EncodeSettings) {
  const { result, bytes } = await makeToFile(jobFor(source, { width: 160, ...overrides }), {
    encodeSettings,
  });
  return { result, bytes, info: inspectAnimation(bytes) };
}

/** libvips' reading (libnsgif, libwebp demux): plays in all (0 = forever), delays in ms, every frame. */
async function decoded(bytes: Buffer) {
  const image = sharp(bytes, { animated: true });
  const meta = await image.metadata();
  const pages = meta.pages ?? 1;
  const raw = await image.ensureAlpha().raw().toBuffer();
  const size = raw.length / pages;
  const frames = Array.from({ length: pages }, (_, i) => raw.subarray(i * size, (i + 1) * size));
  return { loop: meta.loop, delay: meta.delay ?? [], frames };
}

/** Mean absolute difference of two RGBA frames, per channel value. */
function difference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

// The encoders: ffmpeg's GIF graph (balanced, then gifsicle; and with its palette made in a first pass),
// libvips' GIF (quality), ffmpeg's WebP.
const TWO_PASSES: EncodeSettings = { ...DEFAULT_ENCODE_SETTINGS, paletteFrameBudgetBytes: 1 };
const encoders: Array<[string, Partial<TemplateInput>, EncodeSettings?]> = [
  ['gif (ffmpeg)', { format: 'gif' }],
  ['gif (ffmpeg, two passes)', { format: 'gif' }, TWO_PASSES],
  ['gif (libvips)', { format: 'gif', profile: 'quality' }],
  ['webp', { format: 'webp' }],
];

describe('loopCount', () => {
  // plays → GIF's NETSCAPE loop field (null: no block) and WebP's ANIM loop count.
  const cases: Array<[number, number | null, number]> = [
    [0, 0, 0],
    [1, null, 1],
    [3, 2, 3],
  ];
  for (const [name, encoder, settings] of encoders) {
    it.each(cases)(`${name}: %i plays is written as GIF %j / WebP %j`, async (plays, gifField, webpField) => {
      const { result, bytes, info } = await make(
        samples.landscape,
        { ...encoder, duration: 1, loopCount: plays },
        settings,
      );
      expect(info.loopCount).toBe(encoder.format === 'gif' ? gifField : webpField);
      // libvips reads the same number of plays back from the file.
      expect((await decoded(bytes)).loop).toBe(plays);
      expect(result.loop).toBe(plays);
    });
  }
});

describe('speed', () => {
  for (const [name, encoder, settings] of encoders) {
    it(`${name}: the same frames, played at 10 fps × speed`, async () => {
      const runs = await Promise.all(
        [1, 2, 0.5].map((speed) => make(samples.landscape, { ...encoder, duration: 2, speed }, settings)),
      );
      const [normal, fast, slow] = await Promise.all(runs.map((r) => decoded(r.bytes)));
      for (const run of [normal, fast, slow]) expect(run?.frames.length).toBe(20);
      expect(new Set(normal?.delay)).toEqual(new Set([100]));
      expect(new Set(fast?.delay)).toEqual(new Set([50]));
      expect(new Set(slow?.delay)).toEqual(new Set([200]));
      expect(runs.map((r) => [r.result.fps, r.result.speed, r.result.duration])).toEqual([
        [10, 1, 2],
        [20, 2, 1],
        [5, 0.5, 4],
      ]);
      // Sampling doesn't change with the speed: frame for frame the same pictures.
      for (let i = 0; i < 20; i++) {
        expect(difference(fast?.frames[i] as Buffer, normal?.frames[i] as Buffer)).toBeLessThan(1);
        expect(difference(slow?.frames[i] as Buffer, normal?.frames[i] as Buffer)).toBeLessThan(1);
      }
    });
  }

  it('a GIF faster than 50 fps is sampled less, not played slower', async () => {
    const { result, bytes } = await make(samples.landscape, { duration: 2, fps: 40, speed: 2 });
    const { delay, frames } = await decoded(bytes);
    // 2 s sampled at 25 fps, played at 50: 2 cs a frame, 1 s in all.
    expect(frames.length).toBe(50);
    expect(new Set(delay)).toEqual(new Set([20]));
    expect(result).toMatchObject({ fps: 50, duration: 1, frameCount: 50 });
  });
});

describe('boomerang', () => {
  for (const [name, encoder, settings] of encoders) {
    it(`${name}: forward, then backward without repeating the ends`, async () => {
      const { result, bytes } = await make(
        samples.landscape,
        { ...encoder, duration: 1, boomerang: true },
        settings,
      );
      const { frames, delay } = await decoded(bytes);
      const n = 10;
      expect(frames.length).toBe(2 * n - 2);
      expect(result).toMatchObject({ frameCount: 2 * n - 2, boomerang: true, duration: 1.8 });
      expect(new Set(delay)).toEqual(new Set([100]));
      const at = (k: number) => frames[k] as Buffer;
      // Each frame after the turn is, of all the forward frames, nearest to frame 2n − 2 − k (lossy
      // encoders never give the same pixels twice), and the forward frames really differ.
      for (let k = n; k < 2 * n - 2; k++) {
        const distances = Array.from({ length: n }, (_, f) => difference(at(k), at(f)));
        const nearest = distances.indexOf(Math.min(...distances));
        expect(nearest, `frame ${k}`).toBe(2 * n - 2 - k);
      }
      for (let k = 0; k < n - 1; k++) expect(difference(at(k), at(k + 1)), `frame ${k}`).toBeGreaterThan(3);
    });
  }

  it('a boomerang whose window the worker can’t hold is refused before ffmpeg starts', async () => {
    const err = await make(samples.landscape, {
      format: 'webp',
      width: 640,
      fps: 60,
      duration: 5,
      boomerang: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DynamicImageError);
    expect(err).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { limit: 'boomerang' } });
  });
});

describe('sizeMode longSide', () => {
  it.each([
    ['portrait-rotated', 'gif', 'longSide', [180, 320]],
    ['portrait-rotated', 'webp', 'longSide', [180, 320]],
    ['portrait-rotated', 'gif', 'widthHeight', [320, 569]],
    ['landscape', 'gif', 'longSide', [320, 180]],
  ] as const)('%s → %s, %s: %j', async (kind, format, sizeMode, [width, height]) => {
    const { result, info } = await make(samples[kind], { format, width: 320, sizeMode, duration: 1 });
    expect([info.width, info.height]).toEqual([width, height]);
    expect([result.width, result.height]).toEqual([width, height]);
  });
});
