// A template's encoder controls, checked on real outputs of a generated gradient (where palettes and
// dither show): GIF colours counted in each frame's image data, dither against ffmpeg's own `none` and
// by bytes, WebP quality by bytes, lossless WebP frame for frame against the source; the result reports
// the settings used.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TemplateInput } from '@dynamic-image/core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENCODE_SETTINGS, type EncodeSettings } from '../src/encode.js';
import { gifFrameColors } from './support/gif-colors.js';
import { binaries, emptyDir, jobFor, makeToFile } from './support/helpers.js';

const run = promisify(execFile);
let gradient = '';

beforeAll(async () => {
  // RGB frames (ffv1 in gbrp), 10 fps, 320×180: a lossless WebP of them at that size and rate must
  // give them back exactly. Its colours and angle are fixed: by default the filter draws both at random,
  // and on some draws libimagequant found no dithering to do at 16 colours.
  gradient = join(await emptyDir('gradient-'), 'gradient.mkv');
  await run(binaries.ffmpeg.path, [
    ...[
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'gradients=s=320x180:speed=0.05:d=2:r=10:seed=7:c0=0x1d4e89:c1=0xf5b700',
    ],
    ...['-c:v', 'ffv1', '-pix_fmt', 'gbrp', '-y', gradient],
  ]);
});

async function make(overrides: Partial<TemplateInput>, encodeSettings?: EncodeSettings) {
  const job = jobFor(gradient, { start: 0, duration: 1, width: 160, ...overrides });
  const { result, bytes } = await makeToFile(job, { encodeSettings });
  return { result, bytes };
}

const mostColors = (bytes: Buffer) => Math.max(...gifFrameColors(bytes).map((colors) => colors.size));

describe('gifColors', () => {
  // The graph's palette made in a first pass, as for long windows.
  const twoPasses: EncodeSettings = { ...DEFAULT_ENCODE_SETTINGS, paletteFrameBudgetBytes: 1 };
  it.each([
    ['ffmpeg', 'balanced', 16, undefined],
    ['ffmpeg', 'fast', 4, undefined],
    ['ffmpeg', 'fast', 8, twoPasses],
    ['libvips', 'small', 16, undefined],
    ['libvips', 'quality', 4, undefined],
  ] as const)('%s (%s): no frame uses more than %i colours', async (backend, profile, colors, settings) => {
    const asked = await make({ format: 'gif', profile, gifColors: colors }, settings);
    expect(asked.result.encoder?.backend).toBe(backend);
    expect(asked.result.encoder?.settings.colors).toBe(colors);
    expect(mostColors(asked.bytes)).toBeLessThanOrEqual(colors);
    // The gradient needs more without the field: the count above is the field's doing.
    expect(mostColors((await make({ format: 'gif', profile })).bytes)).toBeGreaterThan(colors * 2);
  });
});

/** The dither pattern's strength: mean difference of horizontally adjacent channel values, all frames. */
async function roughness(bytes: Buffer): Promise<number> {
  const image = sharp(bytes, { animated: true });
  const { width = 0 } = await image.metadata();
  const raw = await image.ensureAlpha().raw().toBuffer();
  let sum = 0;
  let count = 0;
  for (let p = 0; p + 4 < raw.length; p += 4) {
    if ((p / 4) % width === width - 1) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs((raw[p + c] as number) - (raw[p + 4 + c] as number));
    count += 3;
  }
  return sum / count;
}

describe('gifDither', () => {
  it("ffmpeg: 0 is ffmpeg's own dither=none, byte for byte; the pattern grows with the strength", async () => {
    const none = await make({ format: 'gif', profile: 'fast', gifDither: 0 });
    const ffmpegNone = await make(
      { format: 'gif', profile: 'fast' },
      { ...DEFAULT_ENCODE_SETTINGS, graphDither: 'none' },
    );
    expect(none.result.encoder?.settings.dither).toBe('none');
    expect(none.bytes.equals(ffmpegNone.bytes)).toBe(true);
    const half = await make({ format: 'gif', profile: 'fast', gifDither: 0.5 });
    const full = await make({ format: 'gif', profile: 'fast', gifDither: 1 });
    expect(half.result.encoder?.settings.dither).toBe('bayer:bayer_scale=3');
    expect(full.result.encoder?.settings.dither).toBe('bayer:bayer_scale=2');
    const [r0, r5, r1] = await Promise.all([none, half, full].map((o) => roughness(o.bytes)));
    expect(r0).toBeLessThan(r5 as number);
    expect(r5).toBeLessThan(r1 as number);
  });

  it('libvips: the strength is libimagequant’s; 1 dithers more than 0', async () => {
    // Few colours, so the gradient needs dithering at all.
    const none = await make({ format: 'gif', profile: 'small', gifColors: 16, gifDither: 0 });
    const full = await make({ format: 'gif', profile: 'small', gifColors: 16, gifDither: 1 });
    expect(none.result.encoder).toMatchObject({ backend: 'libvips', settings: { dither: 0 } });
    expect(full.result.encoder?.settings.dither).toBe(1);
    expect(none.bytes.equals(full.bytes)).toBe(false);
    expect(await roughness(none.bytes)).toBeLessThan(await roughness(full.bytes));
  });
});

describe('WebP', () => {
  it('webpQuality 30 makes fewer bytes than 90, and is reported', async () => {
    const low = await make({ format: 'webp', webpQuality: 30 });
    const high = await make({ format: 'webp', webpQuality: 90 });
    expect(low.result.encoder?.settings).toMatchObject({ quality: 30 });
    expect(high.result.encoder?.settings).toMatchObject({ quality: 90 });
    expect(low.bytes.length).toBeLessThan(high.bytes.length);
  });

  it('webpLossless gives back the source frames exactly', async () => {
    const { result, bytes } = await make({ format: 'webp', webpLossless: true, width: 320, height: 180 });
    expect(result.encoder?.settings).toEqual({ lossless: true, compressionLevel: 4 });
    const { stdout: source } = await run(
      binaries.ffmpeg.path,
      ['-v', 'error', '-i', gradient, '-frames:v', '10', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );
    const webp = sharp(bytes, { animated: true });
    expect((await webp.metadata()).pages).toBe(10);
    const frames = await webp.ensureAlpha().raw().toBuffer();
    expect(frames.length).toBe(source.length);
    expect(frames.equals(source)).toBe(true);
    // A lossy WebP of the same frames does not (the comparison can fail).
    const lossy = await make({ format: 'webp', webpQuality: 100, width: 320, height: 180 });
    expect((await sharp(lossy.bytes, { animated: true }).ensureAlpha().raw().toBuffer()).equals(source)).toBe(
      false,
    );
  });
});
