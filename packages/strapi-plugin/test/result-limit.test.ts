import { describe, expect, it } from 'vitest';
import { MAX_RESULT_BYTES, resultByteLimit } from '../server/src/result-limit';

const MiB = 1024 * 1024;
const base = { format: 'gif', fps: 10, width: 320, height: 180, captureMethod: 'byDuration', duration: 2 };

describe('resultByteLimit', () => {
  it.each([
    // template, bytes: every frame raw at 4 bytes a pixel (+1 frame) and a MiB of headroom
    ['a 2 s window', base, 320 * 180 * 21 * 4 + MiB],
    ['a boomerang, its frames twice', { ...base, boomerang: true }, 320 * 180 * 42 * 4 + MiB],
    ['a speed, the same frames', { ...base, speed: 4 }, 320 * 180 * 21 * 4 + MiB],
    ['an unknown window', { ...base, captureMethod: 'trimBeginEnd', duration: undefined }, MAX_RESULT_BYTES],
  ])('%s', (_, template, bytes) => {
    expect(resultByteLimit(template)).toBe(bytes);
  });
});
