// The lossless rewrite of an ffmpeg GIF by gifsicle -O2, for the profiles that ask for it (core's
// encoder.ts: `optimize`). ffmpeg's GIF encoder marks every pixel equal to the previous frame's as
// transparent; on panning or grainy content that scatters transparent pixels through the frame and breaks
// LZW's runs. gifsicle keeps transparency where it shortens a frame and recompresses: the same frames in
// 3–11 % fewer bytes (docs/encoder-profiles.md). gifsicle reads only the GIF ffmpeg just wrote, but it runs in the
// same sandbox as ffmpeg all the same (a minimal environment, memory and CPU limits, the job's deadline).
import { execFile } from 'node:child_process';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { inspectAnimation } from './animation.js';
import type { ResolvedBinary } from './binaries.js';
import { childEnvironment, DEFAULT_LIMITS, limitedCommand, type ProcessLimits } from './sandbox.js';

/**
 * Past this size the rewrite is skipped: gifsicle takes about 0.1 s a megabyte, so a GIF this large
 * (far beyond what a page should carry) would add more time than the profile's bound allows.
 */
export const OPTIMIZE_MAX_BYTES = 32 * 1024 * 1024;

export interface OptimizeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  limits?: ProcessLimits | undefined;
}

/** What happened, for the job's encoder report: `gifsicle -O2`, or why the file was left as ffmpeg wrote it. */
export type OptimizeOutcome =
  | { optimized: true; bytesBefore: number; bytesAfter: number }
  | { optimized: false; reason: string };

/**
 * Rewrites `file` in place when gifsicle makes it smaller with the same frames; otherwise leaves it. A
 * failure of gifsicle
 * leaves ffmpeg's file (whole, and verified next): the rewrite is a gain, not a step a job depends on.
 * The caller checks its signal afterwards, so a deadline or a cancellation still ends the job.
 */
export async function optimizeGif(
  gifsicle: ResolvedBinary | null | undefined,
  file: string,
  options: OptimizeOptions,
): Promise<OptimizeOutcome> {
  if (!gifsicle) return { optimized: false, reason: 'gifsicle not found' };
  const bytesBefore = (await stat(file)).size;
  if (bytesBefore > OPTIMIZE_MAX_BYTES) {
    return { optimized: false, reason: `over ${OPTIMIZE_MAX_BYTES} bytes` };
  }
  const rewritten = `${file}.optimized`;
  const { command, args } = limitedCommand(
    gifsicle.path,
    ['--no-warnings', '-O2', file, '-o', rewritten],
    options.limits ?? DEFAULT_LIMITS,
    options.timeoutMs,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        command,
        args,
        {
          env: childEnvironment(),
          timeout: options.timeoutMs,
          killSignal: 'SIGKILL',
          signal: options.signal,
          maxBuffer: 1 << 16,
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
    const bytesAfter = (await stat(rewritten)).size;
    if (bytesAfter >= bytesBefore) return { optimized: false, reason: 'no smaller' };
    // gifsicle merges a frame identical to the one before into it (one frame, the two delays): the same
    // picture, but not the frames the plan asked for and the result reports, so such a rewrite is dropped.
    const [before, after] = await Promise.all(
      [file, rewritten].map(async (f) => inspectAnimation(await readFile(f))),
    );
    if (!isDeepStrictEqual(before, after)) return { optimized: false, reason: 'frames merged' };
    await rename(rewritten, file);
    return { optimized: true, bytesBefore, bytesAfter };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]?.slice(0, 120) ?? 'unknown';
    return { optimized: false, reason: `gifsicle failed: ${message}` };
  } finally {
    await rm(rewritten, { force: true });
  }
}

/** The report's value (at most 64 characters, the contract's bound): what became of the bytes. */
export function describeOptimize(outcome: OptimizeOutcome): string {
  const text = outcome.optimized
    ? `gifsicle -O2: ${outcome.bytesBefore} → ${outcome.bytesAfter} bytes`
    : `not applied: ${outcome.reason}`;
  return text.slice(0, 64);
}
