import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActionSample,
  capWindow,
  chooseHighlight,
  fadeFromBlack,
  HIGHLIGHT_LIMITS,
  parseTemplate,
  resolveCaptureWindow,
  submitCost,
} from '../src/index.js';

const still = (n: number, luma = 120): ActionSample[] =>
  Array.from({ length: n }, () => ({ scene: 0, luma }));
const active = (n: number, scene = 0.5): ActionSample[] =>
  Array.from({ length: n }, () => ({ scene, luma: 120 }));
// A fade from black over `n` samples: black, then luma rising to 120.
const fadeIn = (n: number): ActionSample[] =>
  Array.from({ length: n }, (_, i) => ({ scene: 0.08, luma: 16 + (104 * i) / (n - 1) }));

describe('chooseHighlight', () => {
  it.each([
    ['an active stretch in the middle', [...still(8), ...active(4), ...still(8)], 5, 1, 2],
    ['the earliest of equal windows', [...still(4), ...active(2), ...still(4), ...active(2)], 3, 0.5, 1],
    [
      'a window longer than the action: earliest start that holds it all',
      [...still(8), ...active(4), ...still(8)],
      5,
      2,
      1,
    ],
    ['more action wins over less', [...active(4, 0.1), ...still(4), ...active(4, 0.3), ...still(4)], 4, 1, 2],
    ['nothing moves: the start', still(20), 5, 2, 0],
    ['a window as long as the source: the start', [...still(8), ...active(4)], 3, 3, 0],
    ['a window longer than the source: the start', [...still(8), ...active(4)], 3, 10, 0],
    ['a fade from black at the start is never the start', [...fadeIn(8), ...still(12)], 5, 2, 2],
    ['action at the very end fits', [...still(16), ...active(4)], 5, 1, 4],
  ])('%s', (_, samples, span, duration, start) => {
    expect(chooseHighlight(samples, 4, span, duration).start).toBe(start);
  });

  it('counts the action in the window it chose', () => {
    expect(chooseHighlight([...still(8), ...active(4, 0.25)], 4, 3, 1)).toEqual({ start: 2, action: 1 });
  });

  it('marks black and the rising run after it as the fade, and no more', () => {
    const samples = [...fadeIn(4), { scene: 0, luma: 120 }, { scene: 0, luma: 130 }, ...still(2, 10)];
    expect(fadeFromBlack(samples)).toEqual([true, true, true, true, false, false, true, true]);
  });
});

const sampleArb = fc.record({
  scene: fc.double({ min: 0, max: 1, noNaN: true }),
  luma: fc.oneof(fc.constant(16), fc.double({ min: 0, max: 255, noNaN: true })),
});

describe('chooseHighlight properties', () => {
  it('lies inside the span, has the requested length, and never starts in a fade from black', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 40 }),
        (samples, durationQuarters) => {
          const rate = HIGHLIGHT_LIMITS.sampleRate;
          const duration = durationQuarters / rate;
          const span = samples.length / rate;
          const { start } = chooseHighlight(samples, rate, span, duration);
          expect(start).toBeGreaterThanOrEqual(0);
          if (duration >= span) {
            expect(start).toBe(0);
            return;
          }
          expect(start + duration).toBeLessThanOrEqual(span + 1e-9);
          const inFade = fadeFromBlack(samples);
          const allowed = inFade.some((fade, i) => !fade && i / rate + duration <= span);
          if (allowed) {
            expect(inFade[Math.round(start * rate)]).toBe(false);
            // Independently of fadeFromBlack: never on a black sample.
            expect(samples[Math.round(start * rate)]?.luma).toBeGreaterThanOrEqual(
              HIGHLIGHT_LIMITS.blackLuma,
            );
          }
        },
      ),
    );
  });

  it('covers the one active stretch among still ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (before, length, after, extra, scene) => {
          const samples = [...still(before), ...active(length, scene), ...still(after)];
          const rate = 4;
          const span = samples.length / rate;
          const duration = (length + extra) / rate;
          fc.pre(duration < span);
          const { start } = chooseHighlight(samples, rate, span, duration);
          expect(start).toBeLessThanOrEqual(before / rate);
          expect(start + duration).toBeGreaterThanOrEqual((before + length) / rate);
        },
      ),
    );
  });
});

describe('an automatic start before and after the choice', () => {
  const auto = parseTemplate({
    name: 'auto-start',
    format: 'gif',
    fps: 10,
    width: 320,
    height: 180,
    captureMethod: 'byDuration',
    start: 'auto',
    duration: 2,
  });

  it('has no window until the worker chose its start', () => {
    expect(() => resolveCaptureWindow(auto, { duration: 10, startTime: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_TEMPLATE' }),
    );
  });

  it('costs what a fixed start of the same duration costs', () => {
    expect(submitCost(auto)).toEqual(submitCost({ ...auto, start: 5 }));
  });

  it('keeps its mark when a preview cuts the window', () => {
    expect(capWindow({ start: 4, end: 9, duration: 5, auto: true }, 3)).toEqual({
      start: 4,
      end: 7,
      duration: 3,
      auto: true,
    });
  });
});
