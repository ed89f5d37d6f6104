import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamicImageError, type TemplateInput } from '@dynamic-image/core';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { deliverToFile } from '../src/delivery.js';
import { DEFAULT_ENCODE_SETTINGS } from '../src/encode.js';
import { runPipeline, verifyAnimation } from '../src/pipeline.js';
import type { SampleKind } from '../src/samples.js';
import {
  binaries,
  emptyDir,
  ffmpegChildren,
  ffprobeFrames,
  jobFor,
  listDir,
  samples,
} from './support/helpers.js';

async function make(
  source: string,
  overrides: Partial<TemplateInput>,
  extra: { timeoutSeconds?: number; tmpDir?: string } = {},
) {
  const job = jobFor(source, overrides);
  if (extra.timeoutSeconds) job.timeoutSeconds = extra.timeoutSeconds;
  const tmpDir = extra.tmpDir ?? (await emptyDir('tmp-'));
  const result = await runPipeline(
    job,
    // The http sources here are servers on loopback, which a policy refuses unless it lists it.
    {
      binaries,
      tmpDir,
      sourcePolicy: { allowFile: true, allowedNetworks: ['127.0.0.0/8'] },
      timeoutSeconds: 120,
    },
    async (output) => {
      await deliverToFile(job, output);
      return output.result;
    },
  );
  if (job.delivery.kind !== 'file') throw new Error('file delivery expected');
  return { result, path: job.delivery.path, tmpDir };
}

async function failure(promise: Promise<unknown>): Promise<DynamicImageError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DynamicImageError);
  return err as DynamicImageError;
}

describe('good sources become correct animations', () => {
  // [gif size, webp size]: WebP sizes are the nearest even numbers to the exact size.
  const cases: Array<[SampleKind, Partial<TemplateInput>, [number, number], [number, number]?]> = [
    ['landscape', { width: 320 }, [320, 180]],
    ['landscape', { height: 240 }, [427, 240], [426, 240]],
    ['portrait-rotated', { height: 320 }, [180, 320]],
    ['portrait-rotated', {}, [360, 640]],
    ['anamorphic', {}, [640, 360]],
    ['odd-size', {}, [321, 243], [322, 244]],
    ['variable-frame-rate', { width: 240, start: 0.5, duration: 3 }, [240, 135], [240, 136]],
  ];

  for (const format of ['gif', 'webp'] as const) {
    it.each(cases)(`%s → ${format} %j`, async (kind, overrides, gifSize, webpSize) => {
      const [expectWidth, expectHeight] = format === 'webp' ? (webpSize ?? gifSize) : gifSize;
      const { result, path, tmpDir } = await make(samples[kind], { format, ...overrides });
      const duration = (overrides.duration as number | undefined) ?? 2;

      // The result describes the file, and the file was checked independently of the pipeline.
      const bytes = await readFile(path);
      const info = inspectAnimation(bytes);
      expect(info).toMatchObject({ format, width: expectWidth, height: expectHeight, loopCount: 0 });
      expect(result).toMatchObject({
        format,
        width: expectWidth,
        height: expectHeight,
        bytes: bytes.length,
        loop: 0,
      });
      expect(Math.abs(info.durationMs - duration * 1000)).toBeLessThanOrEqual(110);
      if (format === 'gif') {
        const probed = await ffprobeFrames(path);
        expect(probed).toMatchObject({ codec: 'gif', width: expectWidth, height: expectHeight });
        expect(Math.abs(probed.frames - duration * 10)).toBeLessThanOrEqual(1);
      } else {
        expect(info.frameCount).toBeGreaterThan(duration * 10 * 0.5);
        expect(info.frameCount).toBeLessThanOrEqual(duration * 10 + 1);
      }
      expect(await listDir(tmpDir)).toEqual([]);
    });
  }

  it('cuts a byDuration window at the end of the source', async () => {
    const { result } = await make(samples.landscape, { start: 5, duration: 10, width: 160 });
    expect(result.window).toEqual({ start: 5, end: 6, duration: 1 });
    expect(Math.abs(result.duration - 1)).toBeLessThanOrEqual(0.11);
  });

  it('trims from the end with trimBeginEnd', async () => {
    const { result } = await make(samples.landscape, {
      captureMethod: 'trimBeginEnd',
      start: 1,
      duration: undefined,
      trimEnd: 3.5,
      width: 160,
    });
    expect(result.window).toEqual({ start: 1, end: 2.5, duration: 1.5 });
  });

  it('plays a 60 fps GIF at 50 fps (2 cs per frame) and a 60 fps WebP at 60', async () => {
    const gif = await make(samples.landscape, { fps: 60, width: 160, duration: 1 });
    expect(gif.result.fps).toBe(50);
    expect((await ffprobeFrames(gif.path)).frames).toBeGreaterThanOrEqual(49);
    const webp = await make(samples.landscape, { fps: 60, width: 160, duration: 1, format: 'webp' });
    expect(webp.result.fps).toBe(60);
  });
});

describe('bad sources fail with their code', () => {
  it.each([
    ['audio-only', 'AUDIO_ONLY'],
    ['random-bytes', 'DAMAGED_SOURCE'],
    ['truncated-mp4', 'ABNORMAL_CONTAINER'],
  ] as const)('%s → %s', async (kind, code) => {
    const tmpDir = await emptyDir('tmp-');
    const err = await failure(make(samples[kind], {}, { tmpDir }));
    expect(err.code).toBe(code);
    expect(await listDir(tmpDir)).toEqual([]);
  });

  it('a faststart MP4 cut short is DAMAGED_SOURCE when the window reaches past the cut', async () => {
    // 40 % of a 6 s clip is left; the window 3–5 s lies in the lost part.
    const err = await failure(make(samples['truncated-faststart-mp4'], { start: 3, duration: 2 }));
    expect(err.code).toBe('DAMAGED_SOURCE');
  });

  it('a window that starts after the end is WINDOW_OUT_OF_RANGE', async () => {
    const err = await failure(make(samples.landscape, { start: 30 }));
    expect(err.code).toBe('WINDOW_OUT_OF_RANGE');
  });

  it('trimming more than the source holds is WINDOW_OUT_OF_RANGE', async () => {
    const err = await failure(
      make(samples.landscape, { captureMethod: 'trimBeginEnd', duration: undefined, start: 2, trimEnd: 5 }),
    );
    expect(err.code).toBe('WINDOW_OUT_OF_RANGE');
  });

  it('a missing file is SOURCE_UNREACHABLE', async () => {
    const err = await failure(make(join(await emptyDir('missing-'), 'nope.mp4'), {}));
    expect(err.code).toBe('SOURCE_UNREACHABLE');
  });

  it('an http source that refuses connections is SOURCE_UNREACHABLE', async () => {
    const server = createServer((_, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await failure(make(`http://127.0.0.1:${port}/missing.mp4`, {}));
      expect(err.code).toBe('SOURCE_UNREACHABLE');
    } finally {
      server.close();
    }
  });

  it('reads an http source', async () => {
    const body = await readFile(samples.landscape);
    const server = createServer((req, res) => {
      // Range support lets ffmpeg seek without reading the whole file.
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Number(range[2]) : body.length - 1;
        res.writeHead(206, {
          'content-type': 'video/mp4',
          'content-range': `bytes ${start}-${end}/${body.length}`,
          'content-length': end - start + 1,
          'accept-ranges': 'bytes',
        });
        res.end(body.subarray(start, end + 1));
      } else {
        res.writeHead(200, {
          'content-type': 'video/mp4',
          'content-length': body.length,
          'accept-ranges': 'bytes',
        });
        res.end(body);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { result } = await make(`http://127.0.0.1:${port}/landscape.mp4`, { width: 160, format: 'webp' });
      expect(result).toMatchObject({ width: 160, height: 90, format: 'webp' });
    } finally {
      server.close();
    }
  });

  it('a scheme other than http(s) or file is UNSUPPORTED_SOURCE', async () => {
    const err = await failure(make('ftp://127.0.0.1/video.mp4', {}));
    expect(err.code).toBe('UNSUPPORTED_SOURCE');
  });

  it('a playlist that points at another file is refused, not followed', async () => {
    const dir = await emptyDir('playlist-');
    const playlist = join(dir, 'evil.m3u8');
    await writeFile(
      playlist,
      '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n',
    );
    const err = await failure(make(playlist, {}));
    expect(['UNSUPPORTED_SOURCE', 'DAMAGED_SOURCE']).toContain(err.code);
    expect(err.message).not.toContain('root:');
  });

  it('a job past its time limit is TIMEOUT, with ffmpeg killed and nothing left behind', async () => {
    const tmpDir = await emptyDir('tmp-');
    const err = await failure(
      make(samples.landscape, { width: 4096, fps: 60, start: 0, duration: 6 }, { timeoutSeconds: 1, tmpDir }),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(await ffmpegChildren()).toEqual([]);
    expect(await listDir(tmpDir)).toEqual([]);
  });

  it('an unwritable temporary folder is STORAGE_UNAVAILABLE', async () => {
    const err = await failure(make(samples.landscape, {}, { tmpDir: '/proc/dynamic-image-nowhere' }));
    expect(err.code).toBe('STORAGE_UNAVAILABLE');
  });
});

describe('encoder and verification failures', () => {
  it('an ffmpeg that refuses its settings is ENCODE_FAILED', async () => {
    const job = jobFor(samples.landscape, { format: 'gif', width: 160 });
    const tmpDir = await emptyDir('tmp-');
    const err = await failure(
      runPipeline(
        job,
        {
          binaries,
          tmpDir,
          sourcePolicy: { allowFile: true },
          timeoutSeconds: 60,
          encodeSettings: { ...DEFAULT_ENCODE_SETTINGS, gifDither: 'no_such_dither' },
        },
        async () => undefined,
      ),
    );
    expect(err.code).toBe('ENCODE_FAILED');
    expect(await listDir(tmpDir)).toEqual([]);
  });

  it('makes the GIF palette in a first pass when the frames exceed the budget', async () => {
    const job = jobFor(samples.landscape, { width: 320 });
    const result = await runPipeline(
      job,
      {
        binaries,
        tmpDir: await emptyDir('tmp-'),
        sourcePolicy: { allowFile: true },
        timeoutSeconds: 60,
        encodeSettings: { ...DEFAULT_ENCODE_SETTINGS, paletteFrameBudgetBytes: 1024 },
      },
      async (output) => output.result,
    );
    expect(result).toMatchObject({ format: 'gif', width: 320, height: 180, frameCount: 20 });
  });

  const plan = {
    format: 'gif' as const,
    window: { start: 0, end: 2, duration: 2 },
    geometry: {
      width: 320,
      height: 180,
      displayWidth: 640,
      displayHeight: 360,
      rotation: 0 as const,
      sampleAspectRatio: 1,
    },
    timing: {
      requestedFps: 10,
      fps: 10,
      frameCount: 20,
      averageDelayMs: 100,
      delayUnitMs: 10 as const,
      capped: false,
    },
  };
  const good = {
    format: 'gif' as const,
    width: 320,
    height: 180,
    frameCount: 20,
    durationMs: 2000,
    loopCount: 0,
  };

  it.each([
    ['a wrong size', { ...good, width: 300 }, 'OUTPUT_INVALID'],
    ['no loop', { ...good, loopCount: null }, 'OUTPUT_INVALID'],
    ['the wrong format', { ...good, format: 'webp' as const }, 'OUTPUT_INVALID'],
    ['too few frames: the source ended early', { ...good, frameCount: 8, durationMs: 800 }, 'DAMAGED_SOURCE'],
  ])('an output with %s fails verification', (_, info, code) => {
    expect(() => verifyAnimation(info, plan, '')).toThrow(expect.objectContaining({ code }));
  });

  it('a matching output passes verification', () => {
    expect(() => verifyAnimation(good, plan, '')).not.toThrow();
  });
});

describe('sources by URL', () => {
  it.each(['http://169.254.169.254/latest/meta-data/iam/', 'http://[fe80::1]/video.mp4'])(
    '%s (link-local, where clouds keep credentials) is UNSUPPORTED_SOURCE without a request',
    async (url) => {
      const err = await failure(make(url, {}));
      expect(err.code).toBe('UNSUPPORTED_SOURCE');
      expect(err.message).toContain('link-local');
    },
  );

  it('a host that does not resolve is SOURCE_UNREACHABLE', async () => {
    const err = await failure(make('http://no-such-host.invalid/video.mp4', {}));
    expect(err.code).toBe('SOURCE_UNREACHABLE');
  });

  it('a host outside the allow-list is UNSUPPORTED_SOURCE', async () => {
    const job = jobFor('http://example.com/video.mp4');
    const err = await failure(
      runPipeline(
        job,
        {
          binaries,
          tmpDir: await emptyDir('tmp-'),
          sourcePolicy: { allowFile: false, allowedHosts: ['cms.internal'] },
          timeoutSeconds: 10,
        },
        async () => undefined,
      ),
    );
    expect(err.code).toBe('UNSUPPORTED_SOURCE');
  });
});
