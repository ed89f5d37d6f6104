// The cost ceiling in the worker, with real ffmpeg: a plan over the budget fails before ffmpeg starts,
// and an output that outgrows its byte cap is stopped while ffmpeg writes it.
import { join } from 'node:path';
import {
  DynamicImageError,
  type JobProgress,
  OUTPUT_BYTES_PER_PIXEL_FRAME,
  planCost,
} from '@dynamic-image/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerOptions, workerOptionsFromEnv } from '../src/config.js';
import { runFfmpeg } from '../src/ffmpeg.js';
import { runPipeline } from '../src/pipeline.js';
import { binaries, emptyDir, ffmpegChildren, jobFor, listDir, samples } from './support/helpers.js';

const ROOMY = { maxPixelFrames: 1e12, maxOutputBytes: 4 * 1024 ** 3 };

async function failure(promise: Promise<unknown>): Promise<DynamicImageError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DynamicImageError);
  return err as DynamicImageError;
}

describe('the plan budget', () => {
  it('fails a trimBeginEnd plan over maxPixelFrames with BUDGET_EXCEEDED before ffmpeg encodes', async () => {
    // The sample is 6 s: 640×360 × 6 s × 60 fps is 82,944,000 pixel-frames.
    const job = jobFor(samples.landscape, {
      format: 'webp',
      fps: 60,
      start: 0,
      captureMethod: 'trimBeginEnd',
      duration: undefined,
      trimEnd: 0,
    });
    const stages: JobProgress['stage'][] = [];
    const tmpDir = await emptyDir('tmp-');
    const err = await failure(
      runPipeline(
        job,
        {
          binaries,
          tmpDir,
          sourcePolicy: { allowFile: true },
          timeoutSeconds: 60,
          budget: { maxPixelFrames: 50_000_000, maxOutputBytes: ROOMY.maxOutputBytes },
          onProgress: (p) => stages.push(p.stage),
        },
        async () => undefined,
      ),
    );
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('82,944,000 pixel-frames (640×360 × 360 frames)');
    expect(err.message).toContain('limit of 50,000,000 (maxPixelFrames)');
    expect(stages).not.toContain('encode');
    expect(await listDir(tmpDir)).toEqual([]);
  });

  it('a job’s own budget lowers the worker’s, never raises it', async () => {
    const base = jobFor(samples.landscape, { format: 'webp', width: 320, duration: 2 });
    const options = (budget: typeof ROOMY) => ({
      binaries,
      tmpDir: join(samples.landscape, '..'),
      sourcePolicy: { allowFile: true },
      timeoutSeconds: 60,
      budget,
    });
    // 320×180 × 20 frames = 1,152,000 pixel-frames.
    const lowered = await failure(
      runPipeline({ ...base, budget: { maxPixelFrames: 1_000_000 } }, options(ROOMY), async () => undefined),
    );
    expect(lowered.details).toMatchObject({ limit: 'maxPixelFrames', max: 1_000_000 });
    const kept = await failure(
      runPipeline(
        { ...base, budget: { maxPixelFrames: 1e12 } },
        options({ ...ROOMY, maxPixelFrames: 1_000_000 }),
        async () => undefined,
      ),
    );
    expect(kept.details).toMatchObject({ limit: 'maxPixelFrames', max: 1_000_000 });
  });

  it('cuts the window to the job’s maxWindowSeconds, in trimBeginEnd too', async () => {
    const job = {
      ...jobFor(samples.landscape, {
        format: 'gif',
        width: 160,
        start: 0,
        captureMethod: 'trimBeginEnd',
        duration: undefined,
        trimEnd: 0,
      }),
      maxWindowSeconds: 1.5,
    };
    const result = await runPipeline(
      job,
      { binaries, tmpDir: await emptyDir('tmp-'), sourcePolicy: { allowFile: true }, timeoutSeconds: 60 },
      async (output) => output.result,
    );
    expect(result.window).toEqual({ start: 0, end: 1.5, duration: 1.5 });
    expect(result.frameCount).toBe(15);
  });
});

describe('the output byte cap', () => {
  // Full-colour noise: the one input that compresses worse than the planning estimate.
  let noise: string;
  const [width, height, fps, seconds] = [320, 240, 20, 6];
  beforeAll(async () => {
    noise = join(await emptyDir('noise-'), 'noise.mkv');
    await runFfmpeg(binaries, {
      inputs: [
        {
          source: `nullsrc=s=${width}x${height}:r=${fps}:d=${seconds},geq=lum='random(1)*255':cb='random(2)*255':cr='random(3)*255'`,
          options: ['-f', 'lavfi'],
        },
      ],
      outputOptions: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p', '-y'],
      output: noise,
      timeoutMs: 120_000,
    });
  });

  /** The full file, then the same job with the cap at the plan's estimate (so the plan passes). */
  async function capped(format: 'gif' | 'webp', duration: number) {
    const template = { format, fps, width, height, start: 0, duration };
    const full = await runPipeline(
      jobFor(noise, template),
      { binaries, tmpDir: await emptyDir('tmp-'), sourcePolicy: { allowFile: true }, timeoutSeconds: 180 },
      async (output) => output.result,
    );
    const estimate = planCost(format, width, height, fps * duration).outputBytes;
    // The premise: noise outgrows the estimate, so the plan passes a cap that the file then passes.
    expect(
      full.bytes,
      `noise ${full.bytes} B vs estimate ${estimate} B (${OUTPUT_BYTES_PER_PIXEL_FRAME[format]} B/px)`,
    ).toBeGreaterThan(estimate * 1.15);
    const cap = estimate;
    const tmpDir = await emptyDir('tmp-');
    const stages: JobProgress[] = [];
    const started = performance.now();
    const err = await failure(
      runPipeline(
        jobFor(noise, template),
        {
          binaries,
          tmpDir,
          sourcePolicy: { allowFile: true },
          timeoutSeconds: 180,
          budget: { maxPixelFrames: ROOMY.maxPixelFrames, maxOutputBytes: cap },
          onProgress: (p) => stages.push(p),
        },
        async () => undefined,
      ),
    );
    const stoppedMs = Math.round(performance.now() - started);
    expect(err.code).toBe('OUTPUT_TOO_LARGE');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`passed ${cap} bytes (maxOutputBytes`);
    const written = (err.details as { bytes: number }).bytes;
    expect(written).toBeGreaterThan(cap);
    expect(stages.some((p) => p.stage === 'verify')).toBe(false);
    expect(await ffmpegChildren()).toEqual([]);
    expect(await listDir(tmpDir)).toEqual([]);
    // Figures for RELIABILITY.md, "Cost ceiling".
    if (process.env.LIMITS_REPORT) {
      const figures = { format, full: full.bytes, fullMs: full.timings.totalMs, cap, written, stoppedMs };
      console.log(JSON.stringify(figures));
    }
    return { full: full.bytes, written };
  }

  it('GIF: stops ffmpeg while it writes, once the file passes maxOutputBytes: OUTPUT_TOO_LARGE', async () => {
    const { full, written } = await capped('gif', seconds);
    // ffmpeg was stopped on the way, short of the whole file (the cap, at the estimate, lies at about
    // 80 % of it; the check after ffmpeg ends would see all of it). This single-pass graph writes the
    // GIF only once palettegen has seen the last frame, then all of it in well under a second, so a
    // poll of the file's size alone missed it on a busy machine; ffmpeg's own -fs stops it every time.
    expect(written).toBeLessThan(full);
  }, 300_000);

  it('WebP: a file over maxOutputBytes fails OUTPUT_TOO_LARGE and is not delivered', async () => {
    // libwebp_anim hands the whole animation to the muxer at the end, so the cap sees it only then.
    await capped('webp', 3);
  }, 300_000);
});

describe('the budget options', () => {
  const DATABASE_URL = 'postgres://u@db/x';
  it('are read from the environment, with defaults, and checked at start-up', () => {
    expect(parseWorkerOptions({ databaseUrl: DATABASE_URL })).toMatchObject({
      maxPixelFrames: 2_000_000_000,
      maxOutputBytes: 256 * 1024 * 1024,
    });
    const env = {
      DATABASE_URL,
      DYNAMIC_IMAGE_MAX_PIXEL_FRAMES: '5000000',
      DYNAMIC_IMAGE_MAX_OUTPUT_BYTES: '1048576',
    };
    expect(parseWorkerOptions(workerOptionsFromEnv(env) as never)).toMatchObject({
      maxPixelFrames: 5_000_000,
      maxOutputBytes: 1_048_576,
    });
    for (const bad of [
      { DYNAMIC_IMAGE_MAX_PIXEL_FRAMES: 'lots' },
      { DYNAMIC_IMAGE_MAX_PIXEL_FRAMES: '0' },
      { DYNAMIC_IMAGE_MAX_OUTPUT_BYTES: '1000' },
    ]) {
      expect(() => parseWorkerOptions(workerOptionsFromEnv({ DATABASE_URL, ...bad }) as never)).toThrow(
        /maxPixelFrames|maxOutputBytes/,
      );
    }
  });
});
