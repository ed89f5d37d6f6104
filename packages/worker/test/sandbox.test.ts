// ffmpeg under the worker's resource limits (sandbox.ts), measured on the real binary: the kernel
// stops a process at its CPU time limit even when nothing in the worker is watching the clock, and an
// address-space limit makes a large allocation fail instead of taking the machine's memory.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectAnimation } from '../src/animation.js';
import { FfmpegError, runFfmpeg } from '../src/ffmpeg.js';
import { cpuSecondsFor, DEFAULT_MEMORY_BYTES, limitedCommand } from '../src/sandbox.js';
import { binaries, emptyDir } from './support/helpers.js';

const lavfi = (graph: string) => ({ source: graph, options: ['-f', 'lavfi'] });

describe('ffmpeg resource limits', () => {
  it('kills ffmpeg with SIGKILL at its CPU time limit, long before the wall-clock limit', async () => {
    const dir = await emptyDir('cpu-limit-');
    const started = performance.now();
    const error = await runFfmpeg(binaries, {
      // About a minute of CPU on these machines.
      inputs: [lavfi('testsrc2=size=1920x1080:rate=25:duration=120')],
      outputOptions: ['-f', 'gif'],
      output: join(dir, 'out.gif'),
      timeoutMs: 600_000,
      limits: { memoryBytes: 4 * 1024 ** 3, cpuSeconds: 1 },
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as FfmpegError).kind).toBe('failed');
    expect((error as FfmpegError).message).toContain('SIGKILL');
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('makes 4K frames fail under a small address-space limit, and pass under the default one', async () => {
    const dir = await emptyDir('memory-limit-');
    const encode = (memoryBytes: number, name: string) =>
      runFfmpeg(binaries, {
        inputs: [lavfi('testsrc2=size=3840x2160:rate=25:duration=1')],
        outputOptions: ['-vf', 'fps=5', '-f', 'gif'],
        output: join(dir, name),
        timeoutMs: 120_000,
        limits: { memoryBytes, cpuSeconds: 120 },
      }).then(
        async () => inspectAnimation(await readFile(join(dir, name))).frameCount,
        () => 0,
      );
    // Enough to load ffmpeg and its libraries (about 200 MB of address space), not for 4K frames:
    // ffmpeg either fails or (ffmpeg 5.1 exits 0 after a failed allocation) writes no frame.
    expect(await encode(320 * 1024 ** 2, 'small.gif').catch(() => 0)).toBe(0);
    expect(await encode(DEFAULT_MEMORY_BYTES, 'default.gif')).toBe(5);
  });

  it('derives the CPU limit from the time limit: every core for the whole time, plus start-up', () => {
    expect(cpuSecondsFor(10_000, { memoryBytes: 1 })).toBeGreaterThanOrEqual(15);
    expect(cpuSecondsFor(10_000, { memoryBytes: 1, cpuSeconds: 3 })).toBe(3);
    const { command, args } = limitedCommand(
      '/usr/bin/ffmpeg',
      ['-i', 'x'],
      { memoryBytes: 1024 ** 3 },
      10_000,
    );
    expect(command).toBe('/bin/sh');
    expect(args.slice(2)).toEqual(['/usr/bin/ffmpeg', '-i', 'x']);
    expect(args[1]).toContain('ulimit -v 1048576');
  });
});
