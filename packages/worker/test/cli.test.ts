import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { emptyDir, samples } from './support/helpers.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dynamic-image CLI', () => {
  it('names the ffmpeg it runs, its version, and warns about the 2018 npm build', async () => {
    const system = await run(['binaries']);
    expect(system.code).toBe(0);
    expect(system.stdout).toMatch(
      /^ffmpeg: \S+\/ffmpeg; ffprobe: \S+\/ffprobe \(system, version \S+\)\ngifsicle: \S+\/gifsicle \(system\)\n$/,
    );
    // With nothing on PATH, only the npm build is left.
    const npm = await run(['binaries'], { PATH: await emptyDir('no-ffmpeg-') });
    expect(npm.code).toBe(0);
    expect(npm.stdout).toContain('(npm-package, version');
    expect(npm.stdout).toContain('gifsicle: not found (balanced GIFs keep ffmpeg');
    expect(npm.stdout).toContain('WARNING: ffmpeg comes from @ffmpeg-installer (ffmpeg 4.1, built in 2018');
  });

  it("keeps V8's compile cache of its modules, so later runs don't compile them again", async () => {
    // Without NODE_COMPILE_CACHE (which would turn it on by itself): the CLI keeps it in the temporary folder.
    const tmp = await emptyDir('compile-cache-');
    const { NODE_COMPILE_CACHE: _, ...env } = process.env;
    const first = await run(['--help'], { ...env, TMPDIR: tmp });
    expect(first.code).toBe(0);
    const cache = join(tmp, 'node-compile-cache');
    const [dir] = await readdir(cache);
    expect(dir, 'a cache folder for this Node').toBeDefined();
    // The program's modules are in it (one entry per compiled file), not only the tiny entry.
    expect((await readdir(join(cache, dir as string))).length).toBeGreaterThan(5);
  });

  it('makes a WebP with the flags from the README', async () => {
    const out = join(await emptyDir('cli-'), 'out.webp');
    const r = await run([
      'make',
      samples.landscape,
      '--format',
      'webp',
      '--fps',
      '12',
      '--width',
      '480',
      '--start',
      '1',
      '--duration',
      '4',
      '-o',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ format: 'webp', width: 480, height: 270, fps: 12 });
    expect(inspectAnimation(await readFile(out))).toMatchObject({ width: 480, height: 270, loopCount: 0 });
  });

  it.each([
    ['portrait-rotated', 'gif', '180x320'],
    ['portrait-rotated', 'webp', '180x320'],
    ['anamorphic', 'gif', '320x180'],
    ['anamorphic', 'webp', '320x180'],
    ['odd-size', 'gif', '320x242'],
    ['variable-frame-rate', 'webp', '320x180'],
  ] as const)('turns %s into a correct %s (%s)', async (kind, format, size) => {
    const out = join(await emptyDir('cli-'), `out.${format}`);
    const [width, height] = size.split('x').map(Number);
    const flag = kind === 'portrait-rotated' ? ['--height', String(height)] : ['--width', String(width)];
    const r = await run(['make', samples[kind], ...flag, '--start', '1', '--duration', '2', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(inspectAnimation(await readFile(out))).toMatchObject({ format, width, height, loopCount: 0 });
  });

  it('takes --start auto and says the window it chose', async () => {
    const out = join(await emptyDir('cli-'), 'out.gif');
    const r = await run([
      'make',
      samples.landscape,
      '--width',
      '160',
      '--start',
      'auto',
      '--duration',
      '1',
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/window \d+(\.\d+)?–\d+(\.\d+)? s \(chosen automatically\)/);
    expect(inspectAnimation(await readFile(out))).toMatchObject({ format: 'gif', width: 160 });
  });

  it('takes the playback, orientation and encoder flags: a boomerang played 3 times at double speed, 8 colours', async () => {
    const out = join(await emptyDir('cli-'), 'out.gif');
    const r = await run([
      'make',
      samples['portrait-rotated'],
      ...['--long-side', '--width', '320', '--fps', '10', '--start', '1', '--duration', '1'],
      ...[
        '--plays',
        '3',
        '--speed',
        '2',
        '--boomerang',
        '--colors',
        '8',
        '--dither',
        '0',
        '--json',
        '-o',
        out,
      ],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ loop: 3, speed: 2, fps: 20 });
    expect(result.encoder.settings).toMatchObject({ colors: 8, dither: 'none' });
    const file = inspectAnimation(await readFile(out));
    // The long side is the width asked for, upright; a GIF's loop field counts the repeats after the first play.
    expect(file).toMatchObject({ format: 'gif', width: 180, height: 320, loopCount: 2 });
    // n frames forward and back make 2n − 2, each shown 5 cs (10 fps at speed 2).
    expect(file.frameCount).toBe(18);
    expect(file.durationMs).toBe(900);
  });

  it("refuses a bad new flag with core's message, exit code 2", async () => {
    const r = await run(['make', samples.landscape, '--colors', '300', '-o', '/tmp/never.gif']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid template:');
    expect(r.stderr).toMatch(/gifColors: .*256/);
    const lossless = await run([
      'make',
      samples.landscape,
      '--lossless',
      '--webp-quality',
      '80',
      '-o',
      '/tmp/never.webp',
    ]);
    expect(lossless.code).toBe(2);
    expect(lossless.stderr).toContain('webpQuality is not allowed with webpLossless');
  });

  it.each([
    ['random-bytes', 'DAMAGED_SOURCE'],
    ['truncated-mp4', 'ABNORMAL_CONTAINER'],
  ] as const)('reports %s as %s', async (kind, code) => {
    const r = await run(['make', samples[kind], '-o', '/tmp/never.gif']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(code);
  });

  it('takes VOD-style times and the format from the extension', async () => {
    const out = join(await emptyDir('cli-'), 'out.gif');
    const r = await run([
      'make',
      samples.landscape,
      '--start',
      '00:00:01.500',
      '--trim-end',
      '00:00:02',
      '--width',
      '200',
      '-o',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gif 200x113');
    expect(r.stderr).toMatch(/ffmpeg: .* \((env|npm-package|system)\)/);
  });

  it('rejects a bad template with the field, the rule and the value, exit code 2', async () => {
    const r = await run(['make', samples.landscape, '--fps', '61', '--width', '100', '-o', '/tmp/x.gif']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fps/);
    expect(r.stderr).toMatch(/61/);
    expect(r.stderr).toMatch(/width/);
    expect(r.stderr).toMatch(/100/);
  });

  it('reports a bad source by its code, exit code 1', async () => {
    const r = await run(['make', samples['audio-only'], '-o', '/tmp/never.gif']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUDIO_ONLY');
  });
});
