import { describe, expect, it } from 'vitest';
import { parseWorkerSession } from '../server/src/services/status';

describe("a worker's session name", () => {
  it('gives the name and the ffmpeg a worker runs, flagging the 2018 npm build', () => {
    expect(parseWorkerSession('dynamic-image-worker host-a 4242 ff=5.1.9-0+deb12u1/system')).toEqual({
      name: 'dynamic-image-worker host-a 4242',
      ffmpeg: { version: '5.1.9-0+deb12u1', source: 'system', outdated: false },
    });
    expect(parseWorkerSession('dynamic-image-worker host-b 7 ff=N-47683-g0e8eb07/npm')).toMatchObject({
      ffmpeg: { source: 'npm', outdated: true },
    });
  });

  it('reads the names of older workers, which carry no ffmpeg', () => {
    expect(parseWorkerSession('dynamic-image-worker host-c 99')).toEqual({
      name: 'dynamic-image-worker host-c 99',
      ffmpeg: null,
    });
  });
});
