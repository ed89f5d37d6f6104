// The probe's own budget: a source declaring more than the worker agreed to decode is refused before
// ffmpeg decodes a frame of it. Probed with the real ffprobe on generated clips.
import { DynamicImageError } from '@dynamic-image/core';
import { describe, expect, it } from 'vitest';
import { parseWorkerOptions, workerOptionsFromEnv } from '../src/config.js';
import { runPipeline } from '../src/pipeline.js';
import { probeSource } from '../src/probe.js';
import { resolveSource } from '../src/source.js';
import { DEFAULT_SOURCE_BUDGET, type SourceBudget } from '../src/source-budget.js';
import { binaries, emptyDir, ffmpegChildren, jobFor, listDir, samples } from './support/helpers.js';

const probe = (budget?: SourceBudget) =>
  probeSource(binaries, resolveSource(samples.landscape, { allowFile: true }), { timeoutMs: 30_000, budget });

describe('the source budget at probe', () => {
  it('passes the 640x360, 6 s, 25 fps clip under the defaults', async () => {
    expect((await probe(DEFAULT_SOURCE_BUDGET)).video).toMatchObject({ width: 640, height: 360 });
  });

  it.each([
    ['frames', { maxFrames: 100 }, 'frames 150 over 100'],
    ['width', { maxWidth: 320 }, 'width 640 over 320'],
    ['height', { maxHeight: 200 }, 'height 360 over 200'],
    ['pixels', { maxPixels: 640 * 359 }, `pixels ${640 * 360} over ${640 * 359}`],
  ])('refuses a source over its %s limit with UNSUPPORTED_SOURCE', async (_, limit, said) => {
    const error = await probe({ ...DEFAULT_SOURCE_BUDGET, ...limit }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamicImageError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_SOURCE', details: { rule: 'source-budget' } });
    expect((error as Error).message).toContain(said);
  });

  it('stops a job at probe: no encode starts and nothing is left behind', async () => {
    const tmpDir = await emptyDir('budget-');
    const error = await runPipeline(
      jobFor(samples.landscape, { width: 160 }),
      {
        binaries,
        tmpDir,
        sourcePolicy: { allowFile: true },
        timeoutSeconds: 30,
        sourceBudget: { ...DEFAULT_SOURCE_BUDGET, maxFrames: 100 },
        onProgress: (p) => expect(p.stage).not.toBe('encode'),
      },
      async () => {
        throw new Error('never delivered');
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_SOURCE' });
    expect(await listDir(tmpDir)).toEqual([]);
    expect(await ffmpegChildren()).toEqual([]);
  });

  it('takes its limits from the environment', () => {
    const options = parseWorkerOptions({
      databaseUrl: 'postgres://x',
      ...workerOptionsFromEnv({
        DYNAMIC_IMAGE_MAX_SOURCE_FRAMES: '5000',
        DYNAMIC_IMAGE_MAX_SOURCE_WIDTH: '4096',
      }),
    });
    expect(options).toMatchObject({ maxSourceFrames: 5000, maxSourceWidth: 4096, maxSourceHeight: 16_384 });
  });
});
