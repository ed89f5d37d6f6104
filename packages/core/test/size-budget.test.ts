// The size budget: `maxBytes` validated and overridable, and the next attempt chosen from the measured
// ratio, lowering quality, then fps, then size, never raising any, within a bounded number of encodes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  SIZE_BUDGET_LIMITS as B,
  BUDGET_LEVERS,
  type BudgetAttempt,
  type BudgetSettings,
  errorCatalog,
  jobResultSchema,
  nextBudgetAttempt,
  parseTemplate,
  templateJsonSchema,
  validateTemplate,
} from '../src/index.js';

const base = { name: 'budget', format: 'webp', fps: 12, captureMethod: 'byDuration', duration: 2 } as const;
const first = (settings: BudgetSettings): BudgetAttempt => ({ settings, lowered: [] });
const webp: BudgetSettings = { format: 'webp', quality: 75, fps: 12, width: 640, height: 360 };
const gif: BudgetSettings = { format: 'gif', colors: 256, fps: 12, width: 640, height: 360 };

describe('maxBytes on a template', () => {
  it('is optional: a template without it parses as before', () => {
    expect(parseTemplate(base)).not.toHaveProperty('maxBytes');
    expect(parseTemplate({ ...base, maxBytes: 200_000 }).maxBytes).toBe(200_000);
  });

  it.each([
    [1023, 'range'],
    [B.maxBytesMax + 1, 'range'],
    [1500.5, 'integer'],
    ['100KB', 'type'],
  ])('refuses %j with a coded message', (maxBytes, rule) => {
    const result = validateTemplate({ ...base, maxBytes });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({ field: 'maxBytes', rule, messageId: 'integerBetween' }),
    ]);
  });

  it('is accepted in overrideParams, and refused there with the override prefix', () => {
    const template = parseTemplate(base);
    expect(applyOverrides(template, { maxBytes: 4096 }).maxBytes).toBe(4096);
    expect(() => applyOverrides(template, { maxBytes: 10 })).toThrow(/overrideParams\.maxBytes/);
  });

  it('is in the JSON Schema with its bounds', () => {
    const properties = templateJsonSchema.properties as Record<string, Record<string, unknown>>;
    expect(properties.maxBytes).toMatchObject({ type: 'integer', minimum: B.maxBytesMin });
  });

  it('has its error code, not retried, and a result may report the budget', () => {
    expect(errorCatalog.BUDGET_UNREACHABLE.retryable).toBe(false);
    const result = {
      version: 1,
      jobId: 'j',
      format: 'webp',
      width: 320,
      height: 180,
      fps: 6,
      frameCount: 12,
      duration: 2,
      bytes: 9000,
      loop: 0,
      window: { start: 0, end: 2, duration: 2 },
      sha256: 'a'.repeat(64),
      timings: { fetchMs: 0, probeMs: 0, encodeMs: 0, verifyMs: 0, totalMs: 0 },
      encoder: {
        backend: 'ffmpeg',
        settings: { quality: 40 },
        budget: { maxBytes: 10_000, attempts: 3, lowered: ['quality', 'fps'] },
      },
    };
    expect(jobResultSchema.parse(result).encoder?.budget?.lowered).toEqual(['quality', 'fps']);
    const wrong = {
      ...result,
      encoder: { ...result.encoder, budget: { maxBytes: 1, attempts: 1, lowered: ['x'] } },
    };
    expect(() => jobResultSchema.parse(wrong)).toThrow();
  });
});

describe('nextBudgetAttempt', () => {
  it.each([
    ['fits: no retry', webp, 900, 1000, 1, null],
    ['attempts spent', webp, 2000, 1000, B.maxAttempts, null],
    [
      'a little over: quality alone, a few points',
      webp,
      1100,
      1000,
      1,
      { settings: { ...webp, quality: 69 }, lowered: ['quality'] },
    ],
    [
      'over fourfold: quality to its floor, then fps',
      webp,
      4000,
      1000,
      1,
      { settings: { ...webp, quality: 40, fps: 6 }, lowered: ['quality', 'fps'] },
    ],
    [
      'over tenfold: quality and fps to their floors, then size',
      webp,
      10_000,
      1000,
      1,
      {
        settings: { ...webp, quality: 40, fps: 5, width: 472, height: 266 },
        lowered: ['quality', 'fps', 'size'],
      },
    ],
    [
      'GIF a little over: half the colours',
      gif,
      1050,
      1000,
      1,
      { settings: { ...gif, colors: 128 }, lowered: ['quality'] },
    ],
  ] as const)('%s', (_, settings, bytes, maxBytes, attempts, expected) => {
    expect(nextBudgetAttempt(first(settings), bytes, maxBytes, attempts)).toEqual(expected);
  });

  it('lowers size last, by the square root of what is still needed, keeping the short side ≥ 128', () => {
    const floored = { ...webp, quality: B.webpQualityFloor, fps: B.fpsFloor };
    const next = nextBudgetAttempt({ settings: floored, lowered: ['quality', 'fps'] }, 20_000, 1000, 3);
    expect(next?.lowered).toEqual(['quality', 'fps', 'size']);
    expect(next?.settings.height).toBe(B.shortSideFloor);
    const near = nextBudgetAttempt({ settings: floored, lowered: ['quality', 'fps'] }, 1200, 1000, 3);
    expect(near?.settings.width).toBeLessThan(640);
    expect(near?.settings.width).toBeGreaterThan(500);
  });

  it('gives up when every lever is at its floor', () => {
    const floor = { format: 'webp', quality: 40, fps: 5, width: 228, height: 128 } as const;
    expect(nextBudgetAttempt(first(floor), 5000, 1000, 1)).toBeNull();
  });

  it('has no quality lever on a lossless WebP: fps goes first there', () => {
    const lossless = { format: 'webp', fps: 12, width: 640, height: 360 } as const;
    expect(nextBudgetAttempt(first(lossless), 1500, 1000, 1)?.lowered).toEqual(['fps']);
  });

  const settingsArb: fc.Arbitrary<BudgetSettings> = fc.oneof(
    fc.record({
      format: fc.constant('webp' as const),
      quality: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      fps: fc.integer({ min: 1, max: 60 }),
      width: fc.integer({ min: 64, max: 4096 }).map((n) => n - (n % 2)),
      height: fc.integer({ min: 64, max: 4096 }).map((n) => n - (n % 2)),
    }),
    fc.record({
      format: fc.constant('gif' as const),
      colors: fc.integer({ min: 4, max: 256 }),
      fps: fc.integer({ min: 1, max: 60 }),
      width: fc.integer({ min: 64, max: 4096 }),
      height: fc.integer({ min: 64, max: 4096 }),
    }),
  );

  it('never raises a lever, keeps the order, and ends within the bound whatever the bytes', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.array(fc.double({ min: 1.001, max: 1000, noNaN: true }), { minLength: 10, maxLength: 10 }),
        (settings, overs) => {
          const maxBytes = 10_000;
          let attempt = first(settings);
          let attempts = 1;
          for (const over of overs) {
            const next = nextBudgetAttempt(attempt, Math.ceil(maxBytes * over), maxBytes, attempts);
            if (!next) break;
            attempts++;
            const [a, b] = [attempt.settings, next.settings];
            expect(b.fps).toBeLessThanOrEqual(a.fps);
            expect(b.width).toBeLessThanOrEqual(a.width);
            expect(b.height).toBeLessThanOrEqual(a.height);
            if (a.quality !== undefined) expect(b.quality).toBeLessThanOrEqual(a.quality);
            if (a.colors !== undefined) expect(b.colors).toBeLessThanOrEqual(a.colors);
            // Something changed, and the lowered levers are a prefix of the order but for levers with
            // nothing to lower from the start (a lossless WebP's quality).
            expect(b).not.toEqual(a);
            expect(next.lowered).toEqual(BUDGET_LEVERS.filter((l) => next.lowered.includes(l)));
            if (b.fps < a.fps && a.format === 'webp' && a.quality !== undefined)
              expect(b.quality).toBe(Math.min(a.quality, B.webpQualityFloor));
            if (b.fps < a.fps && a.format === 'gif') expect(b.colors).toBeLessThanOrEqual(B.gifColorsFloor);
            if (b.width < a.width || b.height < a.height) expect(b.fps).toBe(Math.min(a.fps, B.fpsFloor));
            attempt = next;
          }
          expect(attempts).toBeLessThanOrEqual(B.maxAttempts);
        },
      ),
    );
  });
});
