// gifsicle's lossless rewrite of balanced GIFs, with the real gifsicle and ffmpeg: the same frames in
// fewer bytes, reported; and a job that never depends on it (absent, failing, or no gain).
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TemplateInput } from '@dynamic-image/core';
import { describe, expect, it } from 'vitest';
import type { FfmpegBinaries } from '../src/binaries.js';
import { binaries, emptyDir, jobFor, makeToFile, samples } from './support/helpers.js';

const run = promisify(execFile);

async function make(
  overrides: Partial<TemplateInput>,
  withBinaries: FfmpegBinaries = binaries,
  source = samples.landscape,
) {
  return makeToFile(jobFor(source, { width: 320, version: 2, ...overrides }), { binaries: withBinaries });
}

/** Every decoded frame's checksum, as ffmpeg sees them: equal lists are the same animation. */
async function frameChecksums(gif: string): Promise<string[]> {
  const { stdout } = await run(binaries.ffmpeg.path, ['-v', 'error', '-i', gif, '-f', 'framemd5', '-']);
  return stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').slice(1).join(',').trim());
}

async function fakeGifsicle(body: string): Promise<FfmpegBinaries> {
  const dir = await emptyDir('gifsicle-');
  const path = join(dir, 'gifsicle');
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return { ...binaries, gifsicle: { path, source: 'env' } };
}

describe('balanced GIFs rewritten by gifsicle', () => {
  it('has gifsicle here (dev.sh installs it), or these tests say nothing', () => {
    expect(binaries.gifsicle?.path).toMatch(/gifsicle$/);
  });

  it('keeps every frame of the fast profile (the same graph) in fewer bytes, and reports both sizes', async () => {
    const fast = await make({ profile: 'fast' });
    const balanced = await make({ profile: 'balanced' });
    expect(fast.result.encoder?.settings).not.toHaveProperty('optimizer');
    const report = String(balanced.result.encoder?.settings.optimizer);
    const [, before, after] = /^gifsicle -O2: (\d+) → (\d+) bytes$/.exec(report) ?? [];
    expect(Number(before), report).toBe(fast.result.bytes);
    expect(Number(after)).toBe(balanced.result.bytes);
    expect(balanced.result.bytes).toBeLessThan(fast.result.bytes);
    expect((await readFile(balanced.path)).length).toBe(balanced.result.bytes);
    expect(await frameChecksums(balanced.path)).toEqual(await frameChecksums(fast.path));
    expect(balanced.result.frameCount).toBe(fast.result.frameCount);
  });

  it('without gifsicle, a balanced GIF is ffmpeg’s file, and the report says why', async () => {
    const fast = await make({ profile: 'fast' });
    const balanced = await make({ profile: 'balanced' }, { ...binaries, gifsicle: null });
    expect(balanced.result.encoder?.settings.optimizer).toBe('not applied: gifsicle not found');
    expect(balanced.result.sha256).toBe(fast.result.sha256);
  });

  it('a gifsicle that fails, or writes a larger file, leaves ffmpeg’s file and the job succeeds', async () => {
    const fast = await make({ profile: 'fast' });
    const failing = await make({ profile: 'balanced' }, await fakeGifsicle('echo broken >&2; exit 3'));
    expect(failing.result.encoder?.settings.optimizer).toMatch(/^not applied: gifsicle failed: /);
    expect(failing.result.sha256).toBe(fast.result.sha256);
    // Its arguments are `--no-warnings -O2 <input> -o <output>`: this one writes its input twice over.
    const larger = await make({ profile: 'balanced' }, await fakeGifsicle('cat "$3" "$3" > "$5"'));
    expect(larger.result.encoder?.settings.optimizer).toBe('not applied: no smaller');
    expect(larger.result.sha256).toBe(fast.result.sha256);
  });

  it('keeps ffmpeg’s file when gifsicle would merge identical frames, so the frames stay the plan’s', async () => {
    const still = join(await emptyDir('still-'), 'still.mp4');
    await run(binaries.ffmpeg.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=320x180:r=10:d=4',
      '-pix_fmt',
      'yuv420p',
      still,
    ]);
    const balanced = await make({ profile: 'balanced' }, binaries, still);
    expect(balanced.result.encoder?.settings.optimizer).toBe('not applied: frames merged');
    expect(balanced.result.frameCount).toBe(20);
  });

  it('runs gifsicle with nothing of the worker’s environment', async () => {
    const dir = await emptyDir('gifsicle-env-');
    const seen = join(dir, 'env');
    process.env.DYNAMIC_IMAGE_TEST_SECRET = 'do-not-pass';
    try {
      await make({ profile: 'balanced' }, await fakeGifsicle(`env > "${seen}"; exit 1`));
    } finally {
      delete process.env.DYNAMIC_IMAGE_TEST_SECRET;
    }
    const env = await readFile(seen, 'utf8');
    expect(env).not.toContain('DYNAMIC_IMAGE_TEST_SECRET');
    expect(env).toMatch(/^PATH=/m);
  });
});
