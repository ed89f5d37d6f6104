import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DynamicImageError,
  normaliseRotation,
  parseJobData,
  parseTemplate,
  planDynamicImage,
  resolveCaptureWindow,
  resolveFrameTiming,
  resolveOutputGeometry,
  type SourceProbe,
  type Template,
} from '../src/index.js';

function probe(
  overrides: Partial<NonNullable<SourceProbe['video']>> = {},
  duration = 10,
  startTime = 0,
): SourceProbe {
  return {
    formatName: 'mov,mp4',
    duration,
    startTime,
    hasAudio: true,
    video: {
      codec: 'h264',
      width: 1920,
      height: 1080,
      rotation: 0,
      sampleAspectRatio: 1,
      frameRate: 25,
      frameCount: 250,
      ...overrides,
    },
  };
}

const byDuration = (start: number, duration: number): Template =>
  parseTemplate({ name: 'test', format: 'gif', fps: 10, captureMethod: 'byDuration', start, duration });
const trim = (start: number, trimEnd: number): Template =>
  parseTemplate({ name: 'test', format: 'gif', fps: 10, captureMethod: 'trimBeginEnd', start, trimEnd });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DynamicImageError ? err.code : 'other';
  }
  return undefined;
}

describe('resolveCaptureWindow', () => {
  it.each([
    ['inside', byDuration(2, 3), 10, { start: 2, end: 5, duration: 3 }],
    ['cut at the end', byDuration(8, 5), 10, { start: 8, end: 10, duration: 2 }],
    ['trim', trim(1, 2.5), 10, { start: 1, end: 7.5, duration: 6.5 }],
    ['trim nothing', trim(0, 0), 10, { start: 0, end: 10, duration: 10 }],
    ['millisecond source', byDuration(0, 1), 0.04, { start: 0, end: 0.04, duration: 0.04 }],
  ])('%s', (_, template, duration, window) => {
    expect(resolveCaptureWindow(template, { duration, startTime: 0 })).toEqual(window);
  });

  it.each([
    ['start at the end', byDuration(10, 1), 10],
    ['start past the end', byDuration(30, 1), 10],
    ['trim everything', trim(2, 8), 10],
    ['trim more than all', trim(0, 11), 10],
    ['no duration', byDuration(0, 1), 0],
    ['NaN duration', byDuration(0, 1), Number.NaN],
  ])('%s is WINDOW_OUT_OF_RANGE', (_, template, duration) => {
    expect(code(() => resolveCaptureWindow(template, { duration, startTime: 0 }))).toBe(
      'WINDOW_OUT_OF_RANGE',
    );
  });

  const time = fc.integer({ min: 0, max: 86_399_999 }).map((ms) => ms / 1000);
  const anyTemplate = fc.oneof(
    fc
      .tuple(
        time,
        fc.integer({ min: 1, max: 86_399_999 }).map((ms) => ms / 1000),
      )
      .map(([s, d]) => byDuration(s, d)),
    fc.tuple(time, time).map(([s, t]) => trim(s, t)),
  );

  it('always lies inside the source, is never empty, and ignores start_time (property)', () => {
    fc.assert(
      fc.property(
        anyTemplate,
        fc.double({ min: 0.001, max: 90_000, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        (template, duration, startTime) => {
          let window: ReturnType<typeof resolveCaptureWindow>;
          try {
            window = resolveCaptureWindow(template, { duration, startTime });
          } catch (err) {
            expect((err as DynamicImageError).code).toBe('WINDOW_OUT_OF_RANGE');
            expect(code(() => resolveCaptureWindow(template, { duration, startTime: 0 }))).toBe(
              'WINDOW_OUT_OF_RANGE',
            );
            return;
          }
          expect(window.start).toBeGreaterThanOrEqual(0);
          expect(window.end).toBeLessThanOrEqual(duration);
          expect(window.duration).toBeGreaterThan(0);
          expect(Math.abs(window.end - window.start - window.duration)).toBeLessThan(1e-9);
          expect(resolveCaptureWindow(template, { duration, startTime: 0 })).toEqual(window);
        },
      ),
    );
  });
});

describe('resolveOutputGeometry', () => {
  const gif = { format: 'gif' as const };
  const webp = { format: 'webp' as const };
  it.each([
    ['landscape, no size', gif, {}, [1920, 1080]],
    ['landscape, width', { ...gif, width: 480 }, {}, [480, 270]],
    ['landscape, height', { ...gif, height: 270 }, {}, [480, 270]],
    ['both given', { ...gif, width: 300, height: 300 }, {}, [300, 300]],
    ['portrait', { ...gif, width: 360 }, { width: 1080, height: 1920 }, [360, 640]],
    ['rotated phone clip', gif, { rotation: 90 as const }, [1080, 1920]],
    ['rotated phone clip, width', { ...gif, width: 540 }, { rotation: 270 as const }, [540, 960]],
    ['upside down', gif, { rotation: 180 as const }, [1920, 1080]],
    ['anamorphic PAL 16:15', gif, { width: 720, height: 576, sampleAspectRatio: 16 / 15 }, [768, 576]],
    [
      'anamorphic 64:45',
      { ...gif, height: 288 },
      { width: 720, height: 576, sampleAspectRatio: 64 / 45 },
      [512, 288],
    ],
    ['odd GIF kept', gif, { width: 853, height: 481 }, [853, 481]],
    ['odd WebP made even', webp, { width: 853, height: 481 }, [854, 482]],
    ['WebP width follows to even', { ...webp, width: 333 }, { width: 1920, height: 1080 }, [334, 188]],
    ['huge source capped', gif, { width: 8192, height: 4320 }, [4096, 2160]],
    ['tall width capped', { ...gif, width: 4096 }, { width: 1080, height: 1920 }, [2304, 4096]],
  ])('%s', (_, template, video, [width, height]) => {
    const g = resolveOutputGeometry(template, probe(video));
    expect([g.width, g.height]).toEqual([width, height]);
  });

  it('audio-only sources have no geometry', () => {
    expect(code(() => resolveOutputGeometry(gif, { ...probe(), video: null }))).toBe('AUDIO_ONLY');
  });

  it('stays within limits and keeps the aspect ratio (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8192 }),
        fc.integer({ min: 2, max: 8192 }),
        fc.constantFrom(0, 90, 180, 270),
        fc.constantFrom(1, 4 / 3, 16 / 15, 0.75),
        fc.constantFrom('gif' as const, 'webp' as const),
        fc.option(fc.integer({ min: 128, max: 4096 }), { nil: undefined }),
        (w, h, rotation, sar, format, width) => {
          const g = resolveOutputGeometry(
            { format, width },
            probe({ width: w, height: h, rotation: rotation as 0, sampleAspectRatio: sar }),
          );
          expect(g.width).toBeGreaterThanOrEqual(1);
          expect(g.height).toBeGreaterThanOrEqual(1);
          expect(Math.max(g.width, g.height)).toBeLessThanOrEqual(4096);
          if (format === 'webp') expect([g.width % 2, g.height % 2]).toEqual([0, 0]);
          const aspect = g.displayWidth / g.displayHeight;
          // Rounding (and WebP's even sizes) may move a side by up to 2 px.
          if (g.width >= 16 && g.height >= 16)
            expect(Math.abs(g.height * aspect - g.width)).toBeLessThanOrEqual(2 * aspect + 2);
        },
      ),
    );
  });
});

describe('resolveFrameTiming', () => {
  const window = { start: 0, end: 3, duration: 3 };
  it('caps GIF at 50 fps and says so, not WebP', () => {
    expect(resolveFrameTiming('gif', 60, window)).toMatchObject({
      fps: 50,
      capped: true,
      frameCount: 150,
      delayUnitMs: 10,
    });
    expect(resolveFrameTiming('gif', 60, window).note).toContain('50');
    expect(resolveFrameTiming('webp', 60, window)).toMatchObject({ fps: 60, capped: false, frameCount: 180 });
    expect(resolveFrameTiming('gif', 50, window)).toMatchObject({ fps: 50, capped: false });
  });

  it('plays the window within one frame (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('gif' as const, 'webp' as const),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 600_000 }).map((ms) => ms / 1000),
        (format, fps, duration) => {
          const t = resolveFrameTiming(format, fps, { start: 0, end: duration, duration });
          expect(t.frameCount).toBeGreaterThanOrEqual(1);
          if (duration * t.fps >= 1)
            expect(Math.abs(t.frameCount * t.averageDelayMs - duration * 1000)).toBeLessThanOrEqual(
              t.averageDelayMs / 2 + 1e-6,
            );
          if (format === 'gif') expect(t.averageDelayMs).toBeGreaterThanOrEqual(20);
        },
      ),
    );
  });
});

describe('planDynamicImage and the job contract', () => {
  it('plans window, geometry and timing', () => {
    const plan = planDynamicImage(
      parseTemplate({
        name: 'plan',
        format: 'webp',
        fps: 12,
        width: 480,
        captureMethod: 'byDuration',
        start: 1,
        duration: 4,
      }),
      probe(),
    );
    expect(plan).toMatchObject({
      format: 'webp',
      window: { start: 1, end: 5 },
      geometry: { width: 480, height: 270 },
      timing: { fps: 12, frameCount: 48 },
    });
  });

  it('checks the video before the window', () => {
    expect(code(() => planDynamicImage(byDuration(50, 1), { ...probe(), video: null }))).toBe('AUDIO_ONLY');
  });

  it('normalises rotations', () => {
    expect([-90, 90, 180, -180, 270, 360, 450, 89].map(normaliseRotation)).toEqual([
      270, 90, 180, 180, 270, 0, 90, 90,
    ]);
  });

  const job = {
    version: 1,
    jobId: 'job-1',
    source: { url: 'https://cms.example/uploads/a.mp4' },
    template: { name: 'test', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 2 },
    delivery: { kind: 'http', url: 'https://cms.example/api/dynamic-image/worker/results' },
  };

  it('keeps fields it does not know (a newer plugin may add them)', () => {
    expect(parseJobData({ ...job, priority: 'high' })).toMatchObject({
      priority: 'high',
      template: { start: 0 },
    });
  });

  it.each([
    ['a newer version', { ...job, version: 2 }, 'version'],
    ['no jobId', { ...job, jobId: '' }, 'jobId'],
    ['a bad template', { ...job, template: { ...job.template, fps: 0 } }, 'fps'],
    ['an unknown delivery', { ...job, delivery: { kind: 'ftp' } }, 'delivery'],
    ['not an object', 'job', 'job'],
  ])('refuses %s with INVALID_JOB', (_, payload, mention) => {
    try {
      parseJobData(payload);
      expect.unreachable();
    } catch (err) {
      expect((err as DynamicImageError).code).toBe('INVALID_JOB');
      expect((err as Error).message).toContain(mention);
    }
  });
});
