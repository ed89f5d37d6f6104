import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  chooseEncoder,
  DynamicImageError,
  resolveFrameTiming,
  type TemplateInput,
} from '@dynamic-image/core';
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

describe('windows input seeking cannot enter', () => {
  const run = promisify(execFile);
  // Each source frame one flat colour of its own, from its number N (25 fps: 3 s is frame 75), which GIF
  // keeps exactly: the output's first frame names the source frame it came from.
  const PATTERN =
    "color=c=black:size=320x240:rate=25:duration=8,format=rgb24,geq=r='mod(N*37\\,256)':g='mod(N*91\\,256)':b='mod(N*53\\,256)'";
  const colourOf = (frame: number) => [(frame * 37) % 256, (frame * 91) % 256, (frame * 53) % 256];
  const meanColour = (rgb: Buffer) => {
    const sum = [0, 0, 0];
    for (let i = 0; i < rgb.length; i++) (sum[i % 3] as number) += rgb[i] as number;
    return sum.map((v) => v / (rgb.length / 3));
  };
  const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - (b[i] as number)));
  const encodeSource = async (name: string, options: string[]) => {
    const path = join(await emptyDir('seek-'), name);
    await run(binaries.ffmpeg.path, [
      ...['-v', 'error', '-f', 'lavfi', '-i', PATTERN, '-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-bf', '0'],
      ...options,
      ...['-y', path],
    ]);
    return path;
  };

  // One key frame, at the start. The TS has no index and its timestamps start at 10 s: input seeking to 3 s
  // lands past the key frame, and the fast path makes nothing. The MP4's index takes seeking back to it.
  const cases: Array<[string, string, string[]]> = [
    [
      'an MPEG-TS with one key frame and a start offset',
      'one-key.ts',
      ['-g', '1000', '-sc_threshold', '0', '-output_ts_offset', '10', '-f', 'mpegts'],
    ],
    ['a long-GOP MP4', 'long-gop.mp4', ['-g', '1000', '-sc_threshold', '0', '-movflags', '+faststart']],
  ];
  it.each(cases)('%s gives the window: its frame count and its first frame', async (_, name, options) => {
    const source = await encodeSource(name, options);
    const { result, path } = await make(source, { width: 160, fps: 10, start: 3, duration: 2 });
    expect(result).toMatchObject({ frameCount: 20, width: 160, height: 120, duration: 2 });
    expect((await ffprobeFrames(path)).frames).toBe(20);
    const first = (
      await run(
        binaries.ffmpeg.path,
        ['-v', 'error', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
        { encoding: 'buffer', maxBuffer: 1 << 24 },
      )
    ).stdout as Buffer;
    const colour = meanColour(first);
    const nearest = [73, 74, 75, 76, 77].sort(
      (a, b) => distance(colour, colourOf(a)) - distance(colour, colourOf(b)),
    );
    // fps=10 keeps the last source frame of each 0.1 s slot: 75 (3.00 s) and 76 (3.04 s) share the first, so
    // it shows 76, as it does when input seeking reaches the window (the MP4).
    expect(nearest[0], `first frame's colour ${colour.map(Math.round)}`).toBe(76);
    expect(distance(colour, colourOf(76))).toBeLessThan(12);
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
      // Slow but within the default budget (566 M pixel-frames, ~198 MB estimated): a GIF this size is refused.
      make(
        samples.landscape,
        { format: 'webp', width: 4096, fps: 10, start: 0, duration: 6 },
        { timeoutSeconds: 1, tmpDir },
      ),
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
          encodeSettings: { ...DEFAULT_ENCODE_SETTINGS, graphDither: 'no_such_dither' },
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
    timing: resolveFrameTiming('gif', 10, { start: 0, end: 2, duration: 2 }),
    encoder: chooseEncoder('gif', undefined),
    loopCount: 0,
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
    ['a loop field of 3 plays when forever was planned', { ...good, loopCount: 2 }, 'OUTPUT_INVALID'],
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
