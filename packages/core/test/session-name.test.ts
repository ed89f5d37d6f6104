import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWorkerSession, WORKER_SESSION_PATTERN, workerSessionName } from '../src/index.js';

const likePattern = new RegExp(`^${WORKER_SESSION_PATTERN.replace('%', '.*')}$`);

describe("a worker's session name", () => {
  it('carries the ffmpeg a worker runs, and the status page reads it back', () => {
    const name = workerSessionName('host-a', 4242, { version: '5.1.9-0+deb12u1', source: 'system' });
    expect(name).toBe('dynamic-image-worker host-a 4242 ff=5.1.9-0+deb12u1/system');
    expect(parseWorkerSession(name)).toEqual({
      name: 'dynamic-image-worker host-a 4242',
      ffmpeg: { version: '5.1.9-0+deb12u1', source: 'system' },
    });
    expect(parseWorkerSession('dynamic-image-worker host-b 7 ff=N-47683-g0e8eb07/npm').ffmpeg).toEqual({
      version: 'N-47683-g0e8eb07',
      source: 'npm',
    });
  });

  it('reads the names of older workers, which carry no ffmpeg', () => {
    expect(parseWorkerSession('dynamic-image-worker host-c 99')).toEqual({
      name: 'dynamic-image-worker host-c 99',
      ffmpeg: null,
    });
  });

  it('fits in 63 bytes and matches the status pattern, whatever the host and version', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 255 }),
        fc.integer({ min: 1, max: 4_194_304 }),
        fc.string({ maxLength: 80 }),
        fc.constantFrom('env', 'system', 'npm'),
        (host, pid, version, source) => {
          const name = workerSessionName(host.replace(/[^\x21-\x7e]/g, 'x') || 'h', pid, { version, source });
          expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
          expect(name).toMatch(likePattern);
          expect(parseWorkerSession(name).ffmpeg?.source).toBe(source);
        },
      ),
    );
  });
});
