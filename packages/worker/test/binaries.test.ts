// Which ffmpeg the worker runs. The binaries here are shell scripts in temporary folders put on PATH
// (or named by FFMPEG_PATH), standing for the system's and the npm build's; the resolver only looks
// for executables, so they are what it sees on a real machine.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type FfmpegBinaries,
  FfmpegBinariesError,
  OUTDATED_NPM_FFMPEG,
  resolveFfmpegBinaries,
} from '../src/binaries.js';
import { emptyDir } from './support/helpers.js';

async function fakeBinaries(names: string[], mode = 0o755): Promise<string> {
  const dir = await emptyDir('fake-ffmpeg-');
  for (const name of names) {
    await writeFile(join(dir, name), '#!/bin/sh\necho "ffmpeg version 9.9-fake"\n');
    await chmod(join(dir, name), mode);
  }
  return dir;
}

async function npmBuild(mode = 0o755) {
  const dir = await fakeBinaries(['ffmpeg', 'ffprobe'], mode);
  return { ffmpeg: () => join(dir, 'ffmpeg'), ffprobe: () => join(dir, 'ffprobe'), dir };
}

const sources = (b: FfmpegBinaries) => [b.source, b.ffmpeg.source, b.ffprobe.source];

describe('resolveFfmpegBinaries', () => {
  it('takes the system pair on PATH before the npm build, without a warning', async () => {
    const system = await fakeBinaries(['ffmpeg', 'ffprobe']);
    const binaries = resolveFfmpegBinaries({ PATH: system }, await npmBuild());
    expect(sources(binaries)).toEqual(['system', 'system', 'system']);
    expect(binaries.ffmpeg.path).toBe(join(system, 'ffmpeg'));
    expect(binaries.ffprobe.path).toBe(join(system, 'ffprobe'));
    expect(binaries.warnings).toEqual([]);
  });

  it('takes FFMPEG_PATH first, with the ffprobe beside it or FFPROBE_PATH', async () => {
    const system = await fakeBinaries(['ffmpeg', 'ffprobe']);
    const own = await fakeBinaries(['ffmpeg', 'ffprobe']);
    const besides = resolveFfmpegBinaries(
      { PATH: system, FFMPEG_PATH: join(own, 'ffmpeg') },
      await npmBuild(),
    );
    expect(sources(besides)).toEqual(['env', 'env', 'env']);
    expect(besides.ffprobe.path).toBe(join(own, 'ffprobe'));
    const other = await fakeBinaries(['ffprobe']);
    const named = resolveFfmpegBinaries(
      { PATH: system, FFMPEG_PATH: join(own, 'ffmpeg'), FFPROBE_PATH: join(other, 'ffprobe') },
      await npmBuild(),
    );
    expect(named.ffprobe.path).toBe(join(other, 'ffprobe'));
  });

  it('never pairs a system ffmpeg with another ffprobe: with half a pair on PATH it says so', async () => {
    const half = await fakeBinaries(['ffmpeg']);
    const npm = await npmBuild();
    const binaries = resolveFfmpegBinaries({ PATH: half }, npm);
    expect(sources(binaries)).toEqual(['npm-package', 'npm-package', 'npm-package']);
    expect(binaries.ffmpeg.path).toBe(join(npm.dir, 'ffmpeg'));
    expect(binaries.warnings[0]).toContain(`only ffmpeg (${join(half, 'ffmpeg')}) is on PATH`);
  });

  it('uses the npm build only as the last resort, with the warning shown everywhere', async () => {
    const empty = await emptyDir('no-ffmpeg-');
    const binaries = resolveFfmpegBinaries({ PATH: empty }, await npmBuild());
    expect(binaries.source).toBe('npm-package');
    expect(binaries.warnings).toEqual([OUTDATED_NPM_FFMPEG]);
  });

  it('reports an npm build without its execute bit instead of working around it', async () => {
    const empty = await emptyDir('no-ffmpeg-');
    const npm = await npmBuild(0o644);
    expect(() => resolveFfmpegBinaries({ PATH: empty }, npm)).toThrow(/no execute bit/);
  });

  it('refuses FFPROBE_PATH alone, and a FFMPEG_PATH that is not executable', async () => {
    const own = await fakeBinaries(['ffmpeg', 'ffprobe'], 0o644);
    const npm = await npmBuild();
    expect(() => resolveFfmpegBinaries({ FFPROBE_PATH: join(own, 'ffprobe') }, npm)).toThrow(
      FfmpegBinariesError,
    );
    expect(() => resolveFfmpegBinaries({ FFMPEG_PATH: join(own, 'ffmpeg') }, npm)).toThrow(
      /not an executable/,
    );
  });

  it('finds nothing on an empty machine and says what to install', async () => {
    const empty = await emptyDir('no-ffmpeg-');
    expect(() => resolveFfmpegBinaries({ PATH: empty }, { ffmpeg: () => null, ffprobe: () => null })).toThrow(
      /apt-get install ffmpeg/,
    );
  });
});

describe('gifsicle', () => {
  it('is GIFSICLE_PATH, else the one on PATH, else none (and a job goes on without it)', async () => {
    const npm = await npmBuild();
    const own = await fakeBinaries(['gifsicle']);
    const system = await fakeBinaries(['ffmpeg', 'ffprobe', 'gifsicle']);
    expect(resolveFfmpegBinaries({ PATH: system }, npm).gifsicle).toEqual({
      path: join(system, 'gifsicle'),
      source: 'system',
    });
    expect(
      resolveFfmpegBinaries({ PATH: system, GIFSICLE_PATH: join(own, 'gifsicle') }, npm).gifsicle,
    ).toEqual({ path: join(own, 'gifsicle'), source: 'env' });
    expect(resolveFfmpegBinaries({ PATH: npm.dir }, npm).gifsicle).toBeNull();
  });

  it('refuses a GIFSICLE_PATH that is not an executable file', async () => {
    const system = await fakeBinaries(['ffmpeg', 'ffprobe']);
    const notExecutable = await fakeBinaries(['gifsicle'], 0o644);
    expect(() =>
      resolveFfmpegBinaries({ PATH: system, GIFSICLE_PATH: join(notExecutable, 'gifsicle') }),
    ).toThrow(/GIFSICLE_PATH=.*gifsicle is not an executable file/);
  });
});
