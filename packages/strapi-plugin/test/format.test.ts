// The admin's duration text: the rounding must never produce "60 s" inside a minute.
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../admin/src/utils/format';

const start = '2026-01-01T00:00:00.000Z';
const endingAt = (ms: number) => new Date(Date.parse(start) + ms).toISOString();

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [4_240, '4.2 s'],
    [59_940, '59.9 s'],
    [59_960, '1 min 00 s'],
    [60_000, '1 min 00 s'],
    [65_000, '1 min 05 s'],
    [119_400, '1 min 59 s'],
    [119_600, '2 min 00 s'],
    [3_599_700, '60 min 00 s'],
  ])('%i ms reads "%s"', (ms, text) => {
    expect(formatDuration(start, endingAt(ms))).toBe(text);
  });

  it('has no duration without a start, or with an end before it', () => {
    expect(formatDuration(null, null)).toBe('—');
    expect(formatDuration(start, endingAt(-1))).toBe('—');
  });

  it('counts up to now while running', () => {
    expect(formatDuration(start, null, Date.parse(start) + 90_000)).toBe('1 min 30 s');
  });
});
