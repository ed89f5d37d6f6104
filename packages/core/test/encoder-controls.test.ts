// Fine encoder controls: validated with coded messages, refused on the other format, accepted as
// overrides, and applied over each profile's settings (absent: the profile's, unchanged).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  chooseEncoder,
  ENCODER_PROFILES,
  ffmpegDither,
  parseTemplate,
  planDynamicImage,
  resolveEncoderSettings,
  type SourceProbe,
  validateTemplate,
} from '../src/index.js';

const gif = { name: 'controls', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 2 } as const;
const webp = { ...gif, format: 'webp' } as const;
const probe: SourceProbe = {
  formatName: 'mov,mp4',
  duration: 10,
  startTime: 0,
  hasAudio: false,
  video: {
    codec: 'h264',
    width: 640,
    height: 360,
    rotation: 0,
    sampleAspectRatio: 1,
    frameRate: 30,
    frameCount: 300,
  },
};

const issuesOf = (input: unknown) => {
  const result = validateTemplate(input);
  return result.ok
    ? []
    : result.issues.map(({ field, rule, messageId, message }) => ({ field, rule, messageId, message }));
};

describe('validation', () => {
  it.each([
    [{ ...gif, gifColors: 3 }, 'gifColors', 'range', 'gifColors must be an integer in [4, 256]; got 3'],
    [
      { ...gif, gifColors: 16.5 },
      'gifColors',
      'integer',
      'gifColors must be an integer in [4, 256]; got 16.5',
    ],
    [
      { ...gif, gifDither: 1.5 },
      'gifDither',
      'range',
      'gifDither must be a number from 0 to 1 with at most two decimals; got 1.5',
    ],
    [{ ...gif, gifDither: 0.125 }, 'gifDither', 'precision', expect.stringContaining('two decimals')],
    [
      { ...webp, webpQuality: 101 },
      'webpQuality',
      'range',
      'webpQuality must be an integer in [1, 100]; got 101',
    ],
    [{ ...webp, webpLossless: 'yes' }, 'webpLossless', 'type', 'webpLossless must be a boolean; got "yes"'],
    [
      { ...gif, webpQuality: 80 },
      'webpQuality',
      'notAllowed',
      'webpQuality applies to webp templates only, and format is gif; got 80',
    ],
    [
      { ...webp, gifDither: 0 },
      'gifDither',
      'notAllowed',
      'gifDither applies to gif templates only, and format is webp; got 0',
    ],
    [
      { ...webp, webpLossless: true, webpQuality: 50 },
      'webpQuality',
      'notAllowed',
      'webpQuality is not allowed with webpLossless (a lossless WebP has no quality); got 50',
    ],
  ])('%j: %s is refused (%s)', (input, field, rule, message) => {
    expect(issuesOf(input)).toEqual([expect.objectContaining({ field, rule, message })]);
  });

  it('accepts every value in range, and no value outside (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 300 }), fc.integer({ min: -5, max: 120 }), (colors, quality) => {
        expect(validateTemplate({ ...gif, gifColors: colors }).ok).toBe(colors >= 4 && colors <= 256);
        expect(validateTemplate({ ...webp, webpQuality: quality }).ok).toBe(quality >= 1 && quality <= 100);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -20, max: 120 }), (hundredths) => {
        const strength = hundredths / 100;
        expect(validateTemplate({ ...gif, gifDither: strength }).ok).toBe(strength >= 0 && strength <= 1);
      }),
    );
  });

  it('older templates without the fields parse and plan as before', () => {
    for (const profile of [undefined, ...ENCODER_PROFILES])
      for (const version of [1, 2] as const)
        for (const format of ['gif', 'webp'] as const) {
          const t = parseTemplate({ ...gif, format, version, ...(profile ? { profile } : {}) });
          expect(t).not.toHaveProperty('gifColors');
          expect(planDynamicImage(t, probe).encoder).toEqual(chooseEncoder(format, profile, version));
        }
  });
});

describe('resolveEncoderSettings', () => {
  it.each([
    // [template, backend, settings]
    [
      { ...gif, gifColors: 32 },
      'ffmpeg',
      { statsMode: 'diff', dither: 'bayer:bayer_scale=5', optimize: true, colors: 32 },
    ],
    [{ ...gif, gifDither: 0 }, 'ffmpeg', { statsMode: 'diff', dither: 'none', optimize: true }],
    [
      { ...gif, gifDither: 1, profile: 'fast' },
      'ffmpeg',
      { statsMode: 'diff', dither: 'bayer:bayer_scale=2' },
    ],
    [
      { ...gif, gifColors: 64, gifDither: 0.3, profile: 'quality' },
      'libvips',
      { effort: 7, dither: 0.3, interFrameMaxError: 6, interPaletteMaxError: 3, colors: 64 },
    ],
    [
      { ...gif, gifDither: 0, profile: 'small' },
      'libvips',
      { effort: 6, dither: 0, interFrameMaxError: 8, interPaletteMaxError: 3 },
    ],
    [{ ...webp, webpQuality: 30 }, 'ffmpeg', { quality: 30, compressionLevel: 4 }],
    [{ ...webp, webpLossless: true, profile: 'fast' }, 'ffmpeg', { lossless: true, compressionLevel: 2 }],
    [{ ...webp, webpLossless: false, profile: 'quality' }, 'ffmpeg', { quality: 85, compressionLevel: 4 }],
    [
      { ...gif, version: 1, gifColors: 8 },
      'ffmpeg',
      { statsMode: 'diff', dither: 'bayer:bayer_scale=5', colors: 8 },
    ],
  ] as const)('%j → %s %j', (input, backend, settings) => {
    const encoder = planDynamicImage(parseTemplate(input), probe).encoder;
    expect(encoder.backend).toBe(backend);
    expect(encoder.settings).toEqual(settings);
    expect(resolveEncoderSettings(parseTemplate(input))).toEqual(encoder);
  });

  it('leaves the profile table as it was', () => {
    resolveEncoderSettings(parseTemplate({ ...gif, gifColors: 4, gifDither: 0 }));
    expect(chooseEncoder('gif', 'balanced').settings).toEqual({
      statsMode: 'diff',
      dither: 'bayer:bayer_scale=5',
      optimize: true,
    });
  });

  it("maps strength to ffmpeg's Bayer scale monotonically: 0 none, then scales 5 to 2", () => {
    const scale = (s: number) => (s === 0 ? 6 : Number(ffmpegDither(s).split('=')[1]));
    expect(ffmpegDither(0)).toBe('none');
    expect([0.01, 0.16, 0.17, 0.5, 0.83, 0.84, 1].map(ffmpegDither)).toEqual([
      'bayer:bayer_scale=5',
      'bayer:bayer_scale=5',
      'bayer:bayer_scale=4',
      'bayer:bayer_scale=3',
      'bayer:bayer_scale=3',
      'bayer:bayer_scale=2',
      'bayer:bayer_scale=2',
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(scale(hi / 100)).toBeLessThanOrEqual(scale(lo / 100));
        expect(scale(hi / 100)).toBeGreaterThanOrEqual(2);
      }),
    );
  });
});

describe('overrideParams', () => {
  it('accepts the fields, validated like the template', () => {
    const t = parseTemplate({ ...gif, gifColors: 128 });
    expect(applyOverrides(t, { gifColors: 16, gifDither: 0.5 })).toMatchObject({
      gifColors: 16,
      gifDither: 0.5,
    });
    expect(() => applyOverrides(t, { gifColors: 300 })).toThrow(
      /overrideParams\.gifColors must be an integer in \[4, 256\]/,
    );
    expect(() => applyOverrides(t, { webpQuality: 50 })).toThrow(
      /overrideParams\.webpQuality applies to webp templates only, and format is gif/,
    );
  });

  it("switching format drops the old format's controls; giving them is refused", () => {
    const t = parseTemplate({ ...gif, gifColors: 32, gifDither: 0 });
    const switched = applyOverrides(t, { format: 'webp', webpQuality: 40 });
    expect(switched).not.toHaveProperty('gifColors');
    expect(switched).not.toHaveProperty('gifDither');
    expect(planDynamicImage(switched, probe).encoder.settings).toEqual({ quality: 40, compressionLevel: 4 });
    expect(() => applyOverrides(t, { format: 'webp', gifColors: 8 })).toThrow(
      /overrideParams\.gifColors applies to gif/,
    );
  });

  it('a lossless override over a template quality is refused with the reason', () => {
    const t = parseTemplate({ ...webp, webpQuality: 60 });
    expect(() => applyOverrides(t, { webpLossless: true })).toThrow(
      /webpQuality is not allowed with webpLossless/,
    );
  });
});
