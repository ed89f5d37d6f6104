// Automatic highlight on generated videos: still stretches around one obviously active one, and a
// fade from black; the window the job used must land on the action and never start in the fade.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TemplateInput } from '@dynamic-image/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { parseActionSamples } from '../src/highlight.js';
import { binaries, emptyDir, jobFor, makeToFile, samples } from './support/helpers.js';

const SIZE = 'size=320x180:rate=24';
const still = (seconds: number) => `color=c=0x3060a0:${SIZE}:duration=${seconds}`;
// The Game of Life from a fixed first board (its default draws one at random): most of the picture changes
// from one frame to the next.
const active = (seconds: number) =>
  `life=${SIZE}:mold=10:ratio=0.5:seed=42:death_color=0x202020:life_color=0xf0e040,trim=duration=${seconds},format=yuv420p`;

/** Joins lavfi stretches into one H.264 file. */
async function clip(file: string, parts: string[]): Promise<string> {
  const labels = parts.map((_, i) => `[p${i}]`);
  const graph = `${parts.map((part, i) => `${part},setsar=1${labels[i]}`).join(';')};${labels.join('')}concat=n=${parts.length}:v=1:a=0`;
  await promisify(execFile)(binaries.ffmpeg.path, [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', graph],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file],
  ]);
  return file;
}

async function make(source: string, overrides: Partial<TemplateInput>) {
  const { result, bytes } = await makeToFile(jobFor(source, { width: 160, start: 'auto', ...overrides }));
  return { result, info: inspectAnimation(bytes) };
}

let dir = '';
beforeAll(async () => {
  dir = await emptyDir('highlight-');
});

describe('start "auto"', () => {
  it('lands the window on the one active stretch, after the fade from black', async () => {
    // 0–2 s fade from black, still to 6 s, active 6–8 s, still to 14 s.
    const source = await clip(join(dir, 'action.mp4'), [
      `${still(2)},fade=in:st=0:d=2`,
      still(4),
      active(2),
      still(6),
    ]);
    const { result, info } = await make(source, { duration: 3 });
    expect(result.window.auto).toBe(true);
    expect(result.window.duration).toBe(3);
    expect(result.window.start).toBeLessThanOrEqual(6);
    expect(result.window.start + result.window.duration).toBeGreaterThanOrEqual(8);
    expect(result.window.end).toBe(result.window.start + 3);
    expect(info.frameCount).toBe(30);
  });

  it('never starts inside a fade from black, even when the fade is all that moves', async () => {
    const source = await clip(join(dir, 'fade.mp4'), [`${still(3)},fade=in:st=0:d=3`, still(5)]);
    const { result } = await make(source, { duration: 2 });
    expect(result.window.auto).toBe(true);
    expect(result.window.start).toBeGreaterThanOrEqual(3);
    expect(result.window.start + 2).toBeLessThanOrEqual(8);
  });

  it('takes the whole source when the window is as long as it, and a fixed start stays unmarked', async () => {
    const source = await clip(join(dir, 'short.mp4'), [still(1), active(1)]);
    const whole = await make(source, { duration: 5 });
    expect(whole.result.window).toEqual({ start: 0, end: 2, duration: 2, auto: true });
    const fixed = await make(source, { start: 0.5, duration: 1 });
    expect(fixed.result.window).toEqual({ start: 0.5, end: 1.5, duration: 1 });
  });
});

describe('start "auto" on a source without video', () => {
  it('is AUDIO_ONLY, as a fixed start is', async () => {
    await expect(make(samples['audio-only'], { duration: 1 })).rejects.toMatchObject({
      code: 'AUDIO_ONLY',
    });
  });
});

describe('parseActionSamples', () => {
  it('reads scene score and luma per printed frame, in order', () => {
    const report = [
      'frame:0    pts:0       pts_time:0',
      'lavfi.signalstats.YAVG=3.02',
      'lavfi.scene_score=0.000000',
      'frame:1    pts:1       pts_time:0.25',
      'lavfi.signalstats.YAVG=120',
      'lavfi.scene_score=0.6',
      '',
    ].join('\n');
    expect(parseActionSamples(report)).toEqual([
      { scene: 0, luma: 3.02 },
      { scene: 0.6, luma: 120 },
    ]);
  });
});
