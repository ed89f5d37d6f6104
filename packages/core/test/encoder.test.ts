// Encoder profiles: the schema accepts them (template and overrideParams), and the plan picks each
// profile's backend and settings per format; version 1 templates keep the settings they always had.
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  chooseEncoder,
  ENCODER_TABLE,
  parseTemplate,
  planDynamicImage,
  type SourceProbe,
  TEMPLATE_VERSION,
  validateTemplate,
} from '../src/index.js';

const base = { name: 'profile_test', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 2 };
const probe: SourceProbe = {
  formatName: 'mov,mp4',
  duration: 10,
  startTime: 0,
  hasAudio: false,
  video: {
    codec: 'h264',
    width: 1280,
    height: 720,
    rotation: 0,
    sampleAspectRatio: 1,
    frameRate: 30,
    frameCount: 300,
  },
};

describe('the profile field', () => {
  it('defaults to none on a new (version 2) template, which is balanced', () => {
    const t = parseTemplate(base);
    expect(t.version).toBe(TEMPLATE_VERSION);
    expect(t.version).toBe(2);
    expect(t.profile).toBeUndefined();
    expect(planDynamicImage(t, probe).encoder).toEqual(ENCODER_TABLE.balanced.gif);
  });

  it('a version 1 template is accepted unchanged, and planned with the settings it always had', () => {
    const t = parseTemplate({ ...base, version: 1 });
    expect(t).toMatchObject({ version: 1 });
    expect(t).not.toHaveProperty('profile');
    expect(planDynamicImage(t, probe).encoder).toEqual(chooseEncoder('gif', undefined, 1));
    expect(planDynamicImage({ ...t, profile: 'quality' }, probe).encoder.backend).toBe('libvips');
  });

  it.each(['balanced', 'quality', 'small', 'fast'])('accepts %s', (profile) => {
    expect(parseTemplate({ ...base, profile }).profile).toBe(profile);
  });

  it.each([['best'], [3], [null]])('refuses %j, naming the choices', (profile) => {
    const result = validateTemplate({ ...base, profile });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({
        field: 'profile',
        messageId: 'oneOfList',
        message: `profile must be one of balanced, quality, small, fast; got ${JSON.stringify(profile)}`,
      }),
    ]);
  });

  it('refuses a version it does not know', () => {
    const result = validateTemplate({ ...base, version: 3 });
    expect(result.ok || result.issues[0]?.message).toBe('version must be 1 or 2; got 3');
  });

  it('is accepted in overrideParams and applied', () => {
    const t = applyOverrides(parseTemplate(base), { profile: 'quality' });
    expect(t.profile).toBe('quality');
    expect(() => applyOverrides(parseTemplate(base), { profile: 'huge' })).toThrow(
      /overrideParams\.profile must be one of balanced, quality, small, fast; got "huge"/,
    );
  });
});

describe('chooseEncoder', () => {
  const version1Gif = { statsMode: 'diff', dither: 'bayer:bayer_scale=5' };
  const version1Webp = { quality: 75, compressionLevel: 4 };
  const balancedGif = { ...version1Gif, optimize: true };
  it.each([
    // format, profile, template version, backend, settings (partial)
    ['gif', undefined, 1, 'ffmpeg', version1Gif],
    ['webp', undefined, 1, 'ffmpeg', version1Webp],
    ['gif', undefined, 2, 'ffmpeg', balancedGif],
    ['gif', 'balanced', 2, 'ffmpeg', balancedGif],
    ['gif', 'fast', 2, 'ffmpeg', version1Gif],
    ['gif', 'quality', 2, 'libvips', { effort: 7 }],
    ['gif', 'quality', 1, 'libvips', { effort: 7 }],
    ['gif', 'small', 2, 'libvips', { effort: 6 }],
    ['webp', 'balanced', 2, 'ffmpeg', version1Webp],
    ['webp', 'fast', 2, 'ffmpeg', { compressionLevel: 2 }],
    ['webp', 'quality', 2, 'ffmpeg', { quality: 85 }],
    ['webp', 'small', 2, 'ffmpeg', { quality: 70 }],
  ] as const)('%s, profile %s, version %i → %s %j', (format, profile, version, backend, settings) => {
    const choice = chooseEncoder(format, profile, version);
    expect(choice).toMatchObject({ format, backend, settings });
  });

  it('only balanced GIF is rewritten by gifsicle; version 1 templates keep the bytes they always had', () => {
    expect(chooseEncoder('gif', undefined, 1).settings).not.toHaveProperty('optimize');
    expect(chooseEncoder('gif', 'fast').settings).not.toHaveProperty('optimize');
    expect(chooseEncoder('gif', 'balanced').settings).toHaveProperty('optimize', true);
  });

  it('every profile has a choice for every format, of that format', () => {
    for (const [profile, byFormat] of Object.entries(ENCODER_TABLE))
      for (const format of ['gif', 'webp'] as const)
        expect(byFormat[format].format, `${profile} ${format}`).toBe(format);
  });
});
