// Playback (loop count, speed, boomerang) and orientation (sizeMode): issue 16.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  boomerangFrames,
  containerLoopCount,
  DynamicImageError,
  MAX_BUFFERED_PIXEL_FRAMES,
  parseTemplate,
  planDynamicImage,
  playsFromContainer,
  resolveFrameTiming,
  resolveOutputGeometry,
  type SourceProbe,
  submitCost,
} from '../src/index.js';

const base = { name: 'playback', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 3 };

function probe(width: number, height: number, rotation: 0 | 90 | 180 | 270 = 0, duration = 10): SourceProbe {
  return {
    formatName: 'mov,mp4',
    duration,
    startTime: 0,
    hasAudio: false,
    video: { codec: 'h264', width, height, rotation, sampleAspectRatio: 1, frameRate: 30, frameCount: 300 },
  };
}

describe('template fields', () => {
  it('leaves a template without them as it was: no new keys, the same plan', () => {
    const old = parseTemplate(base);
    for (const key of ['loopCount', 'speed', 'boomerang', 'sizeMode']) expect(old).not.toHaveProperty(key);
    const plan = planDynamicImage(old, probe(1920, 1080));
    expect(plan.loopCount).toBe(0);
    expect(plan.timing).toMatchObject({ fps: 10, sampleFps: 10, speed: 1, boomerang: false, frameCount: 30 });
  });

  it.each([
    ['loopCount', 0],
    ['loopCount', 65535],
    ['speed', 0.25],
    ['speed', 1.25],
    ['speed', 4],
    ['boomerang', true],
    ['sizeMode', 'longSide'],
    ['sizeMode', 'widthHeight'],
  ])('accepts %s %j, in a template and as an override', (field, value) => {
    expect(parseTemplate({ ...base, [field]: value })).toMatchObject({ [field]: value });
    expect(applyOverrides(parseTemplate(base), { [field]: value })).toMatchObject({ [field]: value });
  });

  it.each([
    ['loopCount', -1],
    ['loopCount', 1.5],
    ['loopCount', 65536],
    ['speed', 0],
    ['speed', 0.2],
    ['speed', 4.01],
    ['speed', 0.333],
    ['speed', '2'],
    ['boomerang', 1],
    ['sizeMode', 'portrait'],
  ])('refuses %s %j, in a template and as an override', (field, value) => {
    expect(() => parseTemplate({ ...base, [field]: value })).toThrow(field);
    expect(() => applyOverrides(parseTemplate(base), { [field]: value })).toThrow(`overrideParams.${field}`);
  });
});

describe('loop count per container', () => {
  it.each([
    // plays, GIF's NETSCAPE loop field (null: no block), WebP's ANIM loop count
    [0, 0, 0],
    [1, null, 1],
    [2, 1, 2],
    [5, 4, 5],
    [65535, 65534, 65535],
  ])('%i plays: GIF %j, WebP %j', (plays, gif, webp) => {
    expect(containerLoopCount('gif', plays)).toBe(gif);
    expect(containerLoopCount('webp', plays)).toBe(webp);
  });

  it('reads back the plays it wrote (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('gif' as const, 'webp' as const),
        fc.integer({ min: 0, max: 65535 }),
        (f, n) => {
          expect(playsFromContainer(f, containerLoopCount(f, n))).toBe(n);
        },
      ),
    );
  });
});

describe('speed and boomerang timing', () => {
  const window = (duration: number) => ({ start: 0, end: duration, duration });
  it.each([
    // format, fps, speed, boomerang, window s → sampleFps, played fps, sampled frames, frames, capped
    ['gif', 10, 2, false, 3, 10, 20, 30, 30, false],
    ['gif', 10, 0.5, false, 3, 10, 5, 30, 30, false],
    ['gif', 10, 1, true, 3, 10, 10, 30, 58, false],
    ['gif', 40, 2, false, 3, 25, 50, 75, 75, true],
    ['gif', 60, 1, false, 3, 50, 50, 150, 150, true],
    ['webp', 60, 1, false, 3, 60, 60, 180, 180, false],
    ['webp', 30, 4, true, 2, 15, 60, 30, 58, true],
    ['webp', 10, 1, true, 0.1, 10, 10, 1, 1, false],
    ['webp', 10, 1, true, 0.2, 10, 10, 2, 2, false],
  ] as const)('%s %i fps × %f, boomerang %s, %f s', (format, fps, speed, boomerang, seconds, ...want) => {
    const [sampleFps, played, sampled, frames, capped] = want;
    expect(resolveFrameTiming(format, fps, window(seconds), { speed, boomerang })).toMatchObject({
      sampleFps,
      fps: played,
      sampledFrames: sampled,
      frameCount: frames,
      capped,
    });
  });

  it('plays the window in window / speed, forward and back for a boomerang (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('gif' as const, 'webp' as const),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 25, max: 400 }).map((n) => n / 100),
        fc.boolean(),
        fc.integer({ min: 1, max: 120_000 }).map((ms) => ms / 1000),
        (format, fps, speed, boomerang, seconds) => {
          const t = resolveFrameTiming(format, fps, window(seconds), { speed, boomerang });
          // Never faster than the format plays: GIF's 2 cs, WebP's 60 fps.
          expect(t.averageDelayMs).toBeGreaterThanOrEqual(format === 'gif' ? 20 : 1000 / 60 - 1e-9);
          expect(t.fps).toBeCloseTo(t.sampleFps * speed, 9);
          expect(t.frameCount).toBe(boomerang ? boomerangFrames(t.sampledFrames) : t.sampledFrames);
          expect(t.playSeconds).toBeCloseTo(t.frameCount / t.fps, 9);
          // One pass forward lasts the window over the speed, within half a sampled frame.
          if (seconds * t.sampleFps >= 1)
            expect(Math.abs(t.sampledFrames / t.fps - seconds / speed)).toBeLessThanOrEqual(
              0.5 / t.fps + 1e-9,
            );
        },
      ),
    );
  });
});

describe('sizeMode longSide', () => {
  const geometry = (
    sizeMode: 'widthHeight' | 'longSide' | undefined,
    p: SourceProbe,
    width?: number,
    height?: number,
  ) => resolveOutputGeometry({ format: 'webp', width, height, sizeMode }, p);
  it.each([
    // source, rotation, width, height → output
    ['landscape', 1920, 1080, 0, 480, undefined, 480, 270],
    ['portrait', 1080, 1920, 0, 480, undefined, 270, 480],
    ['portrait phone (rotated landscape)', 1920, 1080, 90, 480, undefined, 270, 480],
    ['portrait box', 1080, 1920, 0, 480, 320, 320, 480],
    ['landscape box', 1920, 1080, 0, 480, 320, 480, 320],
    ['portrait, short side only', 1080, 1920, 0, undefined, 270, 270, 480],
    ['square', 1000, 1000, 0, 480, 270, 480, 270],
  ] as const)('%s', (_, w, h, rotation, width, height, outW, outH) => {
    expect(geometry('longSide', probe(w, h, rotation), width, height)).toMatchObject({
      width: outW,
      height: outH,
    });
  });

  it('widthHeight (and absent) keeps the width the width', () => {
    for (const mode of ['widthHeight', undefined] as const)
      expect(geometry(mode, probe(1080, 1920), 480)).toMatchObject({ width: 480, height: 854 });
  });

  it('never makes the long side other than the width given (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 4000 }),
        fc.integer({ min: 16, max: 4000 }),
        fc.constantFrom(0 as const, 90 as const),
        fc.integer({ min: 128, max: 4096 }),
        (w, h, rotation, width) => {
          const g = geometry('longSide', probe(w, h, rotation), width);
          expect(Math.abs(Math.max(g.width, g.height) - width)).toBeLessThanOrEqual(1);
          // The orientation is kept; a near-square source (255×254) may round to a square output.
          if (g.width !== g.height) expect(g.width > g.height).toBe(g.displayWidth >= g.displayHeight);
        },
      ),
    );
  });
});

describe('budget with playback', () => {
  const refused = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof DynamicImageError ? [err.code, (err.details as { limit?: string }).limit] : err;
    }
    return null;
  };

  it('counts a boomerang’s frames twice and its reversal as held at once', () => {
    const t = parseTemplate({ ...base, width: 480, height: 270, boomerang: true });
    expect(submitCost(t)).toMatchObject({
      frames: 58,
      pixelFrames: 480 * 270 * 58,
      bufferedPixelFrames: 480 * 270 * 30,
    });
    expect(submitCost(parseTemplate({ ...base, width: 480, height: 270 }))?.bufferedPixelFrames).toBe(0);
  });

  it('counts the frames sampled, not the speed', () => {
    const t = parseTemplate({ ...base, fps: 40, width: 480, height: 270, speed: 2 });
    expect(submitCost(t)?.frames).toBe(75);
  });

  it('refuses a boomerang whose window it can’t hold, with the limit named', () => {
    const big = parseTemplate({ ...base, format: 'webp', fps: 30, duration: 10, boomerang: true });
    const budget = { maxPixelFrames: 1e12, maxOutputBytes: 4 * 1024 ** 3 };
    expect(1920 * 1080 * 300).toBeGreaterThan(MAX_BUFFERED_PIXEL_FRAMES);
    expect(refused(() => planDynamicImage(big, probe(1920, 1080), budget))).toEqual([
      'BUDGET_EXCEEDED',
      'boomerang',
    ]);
    expect(
      refused(() => planDynamicImage({ ...big, boomerang: false }, probe(1920, 1080), budget)),
    ).toBeNull();
    expect(refused(() => planDynamicImage(big, probe(480, 270), budget))).toBeNull();
  });
});
