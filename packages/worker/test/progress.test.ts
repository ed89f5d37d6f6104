import type { JobProgress } from '@dynamic-image/core';
import { describe, expect, it } from 'vitest';
import { deliverToFile } from '../src/delivery.js';
import { runPipeline } from '../src/pipeline.js';
import { binaries, emptyDir, jobFor, samples } from './support/helpers.js';

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
});
