import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESOLUTION_CLASSES, resolutionClass } from '../src/index.js';

describe('resolutionClass', () => {
  it.each([
    [1, 1, 'LD'],
    [320, 180, 'LD'],
    [640, 480, 'LD'],
    [480, 640, 'LD'],
    [641, 360, 'SD'], // the long side past LD's 640
    [640, 481, 'SD'], // the short side past LD's 480
    [1280, 720, 'SD'],
    [720, 1280, 'SD'],
    [1281, 100, 'HD'],
    [1280, 721, 'HD'],
    [1920, 1080, 'HD'],
    [1080, 1920, 'HD'],
    [1921, 1080, '2K'],
    [2560, 1440, '2K'],
    [2561, 1440, '4K'],
    [3840, 2160, '4K'],
    [3841, 2160, '8K'],
    [7680, 4320, '8K'],
    [20000, 20000, '8K'],
  ] as const)('%i × %i is %s', (width, height, expected) => {
    expect(resolutionClass(width, height)).toBe(expected);
  });

  it.each([
    [0, 10],
    [10, -1],
    [Number.NaN, 10],
    [10, Number.POSITIVE_INFINITY],
  ])('refuses %d × %d', (width, height) => {
    expect(() => resolutionClass(width, height)).toThrow(RangeError);
  });

  const side = fc.integer({ min: 1, max: 10_000 });
  const rank = (w: number, h: number) => RESOLUTION_CLASSES.indexOf(resolutionClass(w, h));

  it('does not depend on orientation', () => {
    fc.assert(fc.property(side, side, (w, h) => resolutionClass(w, h) === resolutionClass(h, w)));
  });

  it('never falls when either side grows', () => {
    fc.assert(
      fc.property(
        side,
        side,
        side,
        (w, h, more) => rank(w + more, h) >= rank(w, h) && rank(w, h + more) >= rank(w, h),
      ),
    );
  });
});
