import { describe, expect, it } from 'vitest';
import {
  checkBudget,
  DEFAULT_PLAN_BUDGET,
  DynamicImageError,
  effectiveBudget,
  errorCatalog,
  type PlanBudget,
  parseJobData,
  parseTemplate,
  planCost,
  planDynamicImage,
  type SourceProbe,
  submitCost,
} from '../src/index.js';

const source = (duration: number, width = 1920, height = 1080): SourceProbe => ({
  formatName: 'mov,mp4',
  duration,
  startTime: 0,
  hasAudio: false,
  video: { codec: 'h264', width, height, rotation: 0, sampleAspectRatio: 1, frameRate: 30, frameCount: null },
});

const template = (fields: Record<string, unknown>) =>
  parseTemplate({
    name: 'budget',
    format: 'webp',
    fps: 10,
    captureMethod: 'byDuration',
    duration: 3,
    ...fields,
  });

function refusal(run: () => unknown): DynamicImageError {
  try {
    run();
  } catch (err) {
    if (err instanceof DynamicImageError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('plan cost', () => {
  it.each([
    // format, width, height, frames, pixel-frames, estimated bytes
    ['webp', 480, 270, 30, 3_888_000, 1_360_800],
    ['gif', 480, 270, 30, 3_888_000, 3_888_000],
    ['webp', 4096, 4096, 216_000, 3_623_878_656_000, 1_268_357_529_600],
  ] as const)('%s %i×%i × %i frames: %i pixel-frames, ~%i bytes', (format, w, h, frames, pf, bytes) => {
    expect(planCost(format, w, h, frames)).toEqual({
      width: w,
      height: h,
      frames,
      pixelFrames: pf,
      outputBytes: bytes,
      bufferedPixelFrames: 0,
    });
  });

  it.each([
    // what the template tells at submit; null when the source must be known
    [
      { width: 640, height: 360 },
      { frames: 30, pixelFrames: 6_912_000 },
    ],
    [
      { width: 640, height: 360, fps: 60, format: 'gif', duration: 2 },
      { frames: 100, pixelFrames: 23_040_000 },
    ],
    [
      { width: 640, height: 360, duration: 0.01 },
      { frames: 1, pixelFrames: 230_400 },
    ],
    [{ width: 640 }, null],
    [{ height: 360 }, null],
    [{ width: 640, height: 360, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 0 }, null],
  ] as const)('submitCost(%o) = %o', (fields, expected) => {
    const cost = submitCost(template(fields));
    if (expected === null) expect(cost).toBeNull();
    else expect(cost).toMatchObject(expected);
  });
});

describe('checkBudget', () => {
  const budget: PlanBudget = { maxPixelFrames: 10_000_000, maxOutputBytes: 1024 * 1024 };
  const roomy = { maxPixelFrames: 10_000_000, maxOutputBytes: 64 * 1024 * 1024 };

  it.each([
    // a WebP frame of 480×270 is estimated at 45,360 bytes, a GIF frame at 129,600
    ['webp', 480, 270, 23, budget, null],
    ['webp', 480, 270, 24, budget, 'maxOutputBytes'],
    ['gif', 480, 270, 8, budget, null],
    ['gif', 480, 270, 9, budget, 'maxOutputBytes'],
    ['webp', 1000, 1000, 10, roomy, null],
    ['webp', 1000, 1000, 11, roomy, 'maxPixelFrames'],
    ['gif', 1000, 1000, 11, budget, 'maxPixelFrames'],
  ] as const)('%s %i×%i × %i frames → %s', (format, w, h, frames, limits, limit) => {
    const check = () => checkBudget(planCost(format, w, h, frames), limits);
    if (limit === null) expect(check).not.toThrow();
    else expect(refusal(check).details).toMatchObject({ limit });
  });

  it('names the figure and the limit', () => {
    const err = refusal(() => checkBudget(planCost('webp', 1000, 1000, 11), budget));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toContain('11,000,000 pixel-frames');
    expect(err.message).toContain('limit of 10,000,000 (maxPixelFrames)');
    expect(err.details).toMatchObject({ figure: 11_000_000, max: 10_000_000 });
    const bytes = refusal(() => checkBudget(planCost('gif', 480, 270, 9), budget));
    expect(bytes.message).toContain('could reach 1.1 MiB (1,166,400 bytes estimated for 480×270 × 9 frames)');
    expect(bytes.message).toContain('limit of 1.0 MiB (maxOutputBytes)');
  });

  it('both codes are in the catalogue, refused without retry', () => {
    expect(errorCatalog.BUDGET_EXCEEDED).toMatchObject({ retryable: false });
    expect(errorCatalog.OUTPUT_TOO_LARGE).toMatchObject({ retryable: false });
  });
});

describe('planDynamicImage with a budget', () => {
  it('refuses webp at 60 fps, 4096×4096, trimming nothing from an hour of video', () => {
    const t = template({
      fps: 60,
      width: 4096,
      height: 4096,
      captureMethod: 'trimBeginEnd',
      duration: undefined,
      trimEnd: 0,
    });
    expect(submitCost(t)).toBeNull();
    const err = refusal(() => planDynamicImage(t, source(3600), DEFAULT_PLAN_BUDGET));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.details).toMatchObject({ pixelFrames: 4096 * 4096 * 216_000, frames: 216_000 });
    // Without a budget the plan is made as before.
    expect(planDynamicImage(t, source(3600)).timing.frameCount).toBe(216_000);
  });

  it.each([
    [{ width: 480 }, 10],
    [{ width: 1920, height: 1080, fps: 30, duration: 10 }, 10],
    [{ width: 1920, height: 1080, fps: 60, duration: 4 }, 10],
    [{ format: 'gif', width: 720, fps: 10, duration: 10 }, 60],
    [{ format: 'gif', width: 480, fps: 15, duration: 60 }, 60],
  ])('the default budget takes %o on a %i s 1080p source', (fields, seconds) => {
    expect(() => planDynamicImage(template(fields), source(seconds), DEFAULT_PLAN_BUDGET)).not.toThrow();
  });

  it('counts the frames of the window cut at the source, not of the duration asked for', () => {
    const t = template({ width: 1920, height: 1080, fps: 30, duration: 3600 });
    expect(refusal(() => checkBudget(submitCost(t) as never, DEFAULT_PLAN_BUDGET)).code).toBe(
      'BUDGET_EXCEEDED',
    );
    expect(() => planDynamicImage(t, source(5), DEFAULT_PLAN_BUDGET)).not.toThrow();
  });
});

describe('the budget a job carries', () => {
  it('the lower of the worker’s and the job’s, limit by limit; bad values are ignored', () => {
    const own = { maxPixelFrames: 100, maxOutputBytes: 100 };
    expect(effectiveBudget(own)).toEqual(own);
    expect(effectiveBudget(own, { maxPixelFrames: 50, maxOutputBytes: 500 })).toEqual({
      maxPixelFrames: 50,
      maxOutputBytes: 100,
    });
    expect(effectiveBudget(own, { maxPixelFrames: 0, maxOutputBytes: Number.NaN })).toEqual(own);
  });

  it('is part of the job contract, and optional', () => {
    const job = {
      version: 1,
      jobId: 'j',
      source: { url: 'http://cms/video.mp4' },
      template: { name: 'budget', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 1 },
      delivery: { kind: 'file', path: '/tmp/x' },
    };
    expect(parseJobData(job).budget).toBeUndefined();
    expect(parseJobData({ ...job, budget: { maxPixelFrames: 5 } }).budget).toEqual({ maxPixelFrames: 5 });
    expect(() => parseJobData({ ...job, budget: { maxPixelFrames: -1 } })).toThrow(/budget/);
  });
});

describe('maxWindowSeconds (previews)', () => {
  it.each([
    [
      { captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 0, start: 2 },
      3600,
      { start: 2, end: 5, duration: 3 },
    ],
    [
      { captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 7, start: 1 },
      10,
      { start: 1, end: 3, duration: 2 },
    ],
    [{ duration: 10, start: 0.5 }, 60, { start: 0.5, end: 3.5, duration: 3 }],
    [{ duration: 1 }, 60, { start: 0, end: 1, duration: 1 }],
  ] as const)('%o on a %i s source → %o', (fields, seconds, window) => {
    const plan = planDynamicImage(template(fields), source(seconds), undefined, 3);
    expect(plan.window).toEqual(window);
    expect(plan.timing.frameCount).toBe(Math.round(window.duration * 10));
  });
});
