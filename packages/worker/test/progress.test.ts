import type { JobProgress, TemplateInput } from '@dynamic-image/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliverToFile } from '../src/delivery.js';
import { DEFAULT_ENCODE_SETTINGS, type EncodeSettings } from '../src/encode.js';
import { runPipeline } from '../src/pipeline.js';
import { countedFrames, encodedFrames, isCounterLine, runFraction } from '../src/progress.js';
import { generateSample } from '../src/samples.js';
import { binaries, emptyDir, jobFor, samples } from './support/helpers.js';

async function progressOf(
  source: string,
  template: Partial<TemplateInput>,
  encodeSettings: EncodeSettings = DEFAULT_ENCODE_SETTINGS,
) {
  const seen: JobProgress[] = [];
  await runPipeline(
    jobFor(source, template),
    {
      binaries,
      tmpDir: await emptyDir('progress-'),
      sourcePolicy: { allowFile: true },
      timeoutSeconds: 300,
      encodeSettings,
      onProgress: (p) => seen.push(p),
    },
    async (output) => output.result,
  );
  const percents = seen.map((p) => p.percent);
  for (let i = 1; i < percents.length; i++)
    expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1] as number);
  // The encode stage spans 5 % to 92 %; what lies strictly inside it came from ffmpeg's counts.
  const inside = seen.filter((p) => p.stage === 'encode' && p.percent > 5 && p.percent < 92);
  return { seen, inside: inside.map((p) => p.percent) };
}

describe('progress', () => {
  it('goes from 0 to 100 without stepping back, through every stage in order', async () => {
    const job = jobFor(samples.landscape, { width: 160, duration: 3 });
    const seen: JobProgress[] = [];
    let deliveredAt = -1;
    await runPipeline(
      job,
      {
        binaries,
        tmpDir: await emptyDir('progress-'),
        sourcePolicy: { allowFile: true },
        timeoutSeconds: 120,
        onProgress: (p) => seen.push(p),
      },
      async (output) => {
        deliveredAt = seen.length;
        await deliverToFile(job, output);
        return output.result;
      },
    );
    const percents = seen.map((p) => p.percent);
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(100);
    for (let i = 1; i < percents.length; i++)
      expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1] as number);
    expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
    // Encoding reports as ffmpeg goes, not only at its start and end.
    expect(
      seen.filter((p) => p.stage === 'encode' && p.percent > 5 && p.percent < 92).length,
    ).toBeGreaterThan(0);
    const stages = seen.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1]);
    expect(stages).toEqual(['fetch', 'probe', 'encode', 'verify', 'deliver']);
    expect(seen.every((p) => p.jobId === job.jobId)).toBe(true);
    // 100 comes only once the result is delivered.
    expect(deliveredAt).toBeGreaterThan(0);
    expect(percents.slice(0, deliveredAt)).not.toContain(100);
  });

  it("reads ffmpeg's counts: -progress lines, and the graph's counter in its log", () => {
    expect(encodedFrames('frame=37')).toBe(37);
    expect(encodedFrames('out_time_us=3610000')).toBeNull();
    const counter = '[Parsed_metadata_5 @ 0x56407ad69b00] frame:12   pts:12      pts_time:1.2';
    expect(countedFrames(counter)).toBe(13);
    expect(isCounterLine(counter)).toBe(true);
    expect(isCounterLine('[Parsed_metadata_5 @ 0x56407ad69b00] dynamic_image.counted=1')).toBe(true);
    expect(isCounterLine('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] stream 0, offset 0x8b6aa: partial file')).toBe(
      false,
    );
    expect(runFraction({ counted: 50, encoded: 0 }, { counted: 0.8, encoded: 0.2 }, 100)).toBeCloseTo(0.4);
    expect(runFraction({ counted: 100, encoded: 100 }, { counted: 0.8, encoded: 0.2 }, 100)).toBe(1);
    // An extra frame (fps may let one through) never takes a run past its end.
    expect(runFraction({ counted: 0, encoded: 101 }, { counted: 0, encoded: 1 }, 100)).toBe(1);
  });

  describe('while ffmpeg encodes, counted in frames against the plan', () => {
    // 100 frames of 480×270 from a 12 s clip: seconds of work for either encoder.
    const window: Partial<TemplateInput> = { start: 1, duration: 10, fps: 10, width: 480 };
    let clip: string;
    beforeAll(async () => {
      clip = await generateSample(binaries, 'landscape', await emptyDir('progress-clip-'), 12);
    });

    it('a GIF made in one run advances while its palette is made, frame by frame', async () => {
      const { inside } = await progressOf(clip, { ...window, format: 'gif' });
      // Most of the run goes to the frames the palette is made from (80 % of the span).
      expect(new Set(inside.filter((p) => p <= 5 + 87 * 0.8)).size).toBeGreaterThanOrEqual(10);
      expect(new Set(inside).size).toBeGreaterThanOrEqual(10);
    });

    it('a GIF made in two passes advances through both', async () => {
      const twoPass = { ...DEFAULT_ENCODE_SETTINGS, paletteFrameBudgetBytes: 1 };
      const { inside } = await progressOf(clip, { ...window, format: 'gif' }, twoPass);
      const half = 5 + 87 / 2;
      expect(new Set(inside.filter((p) => p < half)).size).toBeGreaterThanOrEqual(10);
      expect(new Set(inside.filter((p) => p > half)).size).toBeGreaterThanOrEqual(10);
    });

    it('a WebP advances as its frames are encoded', async () => {
      const { inside } = await progressOf(clip, { ...window, format: 'webp' });
      expect(new Set(inside).size).toBeGreaterThanOrEqual(3);
    });
  });
});
