// A template's size budget (maxBytes) on real outputs: easy content (a slow gradient) fits at once with
// the template's own settings; hard content (full-frame noise, confetti from the game of life) fits after
// lowering quality, then fps, then size, the report saying which; a budget nothing reaches fails with
// BUDGET_UNREACHABLE within the bound on encodes.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamicImageError, SIZE_BUDGET_LIMITS, type TemplateInput } from '@dynamic-image/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { deliverToFile } from '../src/delivery.js';
import { runPipeline } from '../src/pipeline.js';
import { binaries, emptyDir, jobFor } from './support/helpers.js';

const run = promisify(execFile);
const clips = { gradient: '', noise: '', confetti: '' };

beforeAll(async () => {
  const dir = await emptyDir('size-budget-');
  const make = async (name: keyof typeof clips, graph: string) => {
    clips[name] = join(dir, `${name}.mkv`);
    await run(binaries.ffmpeg.path, [
      ...['-v', 'error', '-f', 'lavfi', '-i', graph],
      ...['-c:v', 'ffv1', '-pix_fmt', 'yuv420p', '-y', clips[name]],
    ]);
  };
  await make('gradient', 'gradients=s=320x180:speed=0.01:d=2:r=12');
  // Temporal and uniform noise on every pixel of every frame: compresses worst of all.
  await make('noise', 'color=c=gray:s=320x180:d=2:r=12,noise=alls=100:allf=t+u');
  await make(
    'confetti',
    'life=s=320x180:r=12:ratio=0.5:mold=20:life_color=#ff3060:death_color=#2040ff,trim=duration=2',
  );
});

async function make(clip: string, overrides: Partial<TemplateInput>) {
  const job = jobFor(clip, { start: 0, duration: 1, fps: 12, ...overrides });
  const result = await runPipeline(
    job,
    { binaries, tmpDir: await emptyDir('tmp-'), sourcePolicy: { allowFile: true }, timeoutSeconds: 120 },
    async (output) => {
      await deliverToFile(job, output);
      return output.result;
    },
  );
  if (job.delivery.kind !== 'file') throw new Error('file delivery expected');
  return { result, bytes: await readFile(job.delivery.path) };
}

describe('maxBytes', () => {
  it('easy content fits at once: one encode, the settings unchanged', async () => {
    const free = await make(clips.gradient, { format: 'webp' });
    const kept = await make(clips.gradient, { format: 'webp', maxBytes: free.bytes.length + 1024 });
    expect(kept.result.encoder?.budget).toEqual({
      maxBytes: free.bytes.length + 1024,
      attempts: 1,
      lowered: [],
    });
    expect(kept.result.encoder?.settings).toEqual(free.result.encoder?.settings);
    expect([kept.result.width, kept.result.fps]).toEqual([free.result.width, free.result.fps]);
    expect(kept.result.sha256).toBe(free.result.sha256);
  });

  it.each([
    ['webp', 'noise', 0.5],
    ['gif', 'noise', 0.5],
    ['webp', 'confetti', 0.3],
    ['gif', 'confetti', 0.3],
  ] as const)(
    'hard content (%s of %s) fits a budget of %s of its size after lowering, in order',
    async (format, clip, share) => {
      const free = await make(clips[clip], { format });
      const maxBytes = Math.floor(free.bytes.length * share);
      const fitted = await make(clips[clip], { format, maxBytes });
      expect(fitted.bytes.length).toBeLessThanOrEqual(maxBytes);
      const budget = fitted.result.encoder?.budget;
      expect(budget?.maxBytes).toBe(maxBytes);
      expect(budget?.attempts).toBeGreaterThan(1);
      expect(budget?.attempts).toBeLessThanOrEqual(SIZE_BUDGET_LIMITS.maxAttempts);
      // Quality goes first, and the levers come in their order.
      expect(budget?.lowered[0]).toBe('quality');
      expect(['quality', 'fps', 'size'].filter((l) => budget?.lowered.includes(l as never))).toEqual(
        budget?.lowered,
      );
      // The file is what the result says, and what was not lowered is as asked.
      const info = inspectAnimation(fitted.bytes);
      expect([info.width, info.height]).toEqual([fitted.result.width, fitted.result.height]);
      if (!budget?.lowered.includes('fps')) expect(fitted.result.fps).toBe(12);
      if (!budget?.lowered.includes('size')) expect(fitted.result.width).toBe(320);
      const quality = format === 'webp' ? 'quality' : 'colors';
      expect(Number(fitted.result.encoder?.settings[quality])).toBeLessThan(
        Number(free.result.encoder?.settings[quality] ?? 256),
      );
    },
  );

  it('a budget nothing reaches fails with BUDGET_UNREACHABLE within the bound', async () => {
    const failure = await make(clips.noise, { format: 'webp', maxBytes: 2048 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DynamicImageError);
    const err = failure as DynamicImageError;
    expect(err.code).toBe('BUDGET_UNREACHABLE');
    expect(err.details).toMatchObject({ maxBytes: 2048, lowered: ['quality', 'fps', 'size'] });
    expect(err.details?.attempts).toBeLessThanOrEqual(SIZE_BUDGET_LIMITS.maxAttempts);
    expect(err.details?.bytes).toBeGreaterThan(2048);
    expect(err.details?.settings).toMatchObject({ quality: 40, fps: 5 });
  });
});
