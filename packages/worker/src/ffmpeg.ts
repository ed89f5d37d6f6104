// The only module that knows about fluent-ffmpeg (unmaintained since 2025): the rest of the
// worker sees runFfmpeg/runFfprobe, so the library can be replaced in one place.
import { execFile } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import type { FfmpegBinaries } from './binaries.js';

export interface FfmpegInput {
  source: string;
  options: string[];
}

export interface FfmpegRun {
  inputs: FfmpegInput[];
  complexFilter?: string;
  outputOptions: string[];
  output: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Seconds of output written so far, parsed from ffmpeg's `time=` status lines. */
  onTime?: ((seconds: number) => void) | undefined;
}

export type FfmpegFailureKind = 'timeout' | 'aborted' | 'failed';

export class FfmpegError extends Error {
  constructor(
    readonly kind: FfmpegFailureKind,
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

const TIME_PATTERN = /time=\s*(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;
// ffmpeg writes kilobytes of banner and per-frame status; keep the tail, where the error is.
const STDERR_KEEP = 16_384;

export function parseStatusTime(line: string): number | null {
  const match = TIME_PATTERN.exec(line);
  if (!match) return null;
  const [, h, m, s] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/**
 * fluent-ffmpeg runs `ffmpeg -formats` and `ffmpeg -encoders` in each new process before its first
 * command, to vet options given through its own setters (and mark experimental -vcodec/-acodec).
 * We pass raw options that ffmpeg checks itself, so the two extra runs only cost each CLI call
 * about 50 ms (bench: CLI overhead). fluent-ffmpeg is frozen, so these internals won't move.
 */
function skipCapabilityChecks(command: ffmpeg.FfmpegCommand): void {
  const internals = command as unknown as {
    _checkCapabilities: (cb: (err?: Error) => void) => void;
    availableEncoders: (cb: (err: Error | null, encoders: Record<string, unknown>) => void) => void;
  };
  internals._checkCapabilities = (cb) => cb();
  internals.availableEncoders = (cb) => cb(null, {});
}

export function runFfmpeg(binaries: FfmpegBinaries, run: FfmpegRun): Promise<{ stderr: string }> {
  return new Promise((resolve, reject) => {
    const command = ffmpeg({ stdoutLines: 0 }).setFfmpegPath(binaries.ffmpeg.path);
    skipCapabilityChecks(command);
    for (const input of run.inputs) command.input(input.source).inputOptions(input.options);
    if (run.complexFilter) command.complexFilter(run.complexFilter);
    command.outputOptions(run.outputOptions).output(run.output);

    let stderr = '';
    let ending: FfmpegFailureKind | null = null;
    let spawned = false;
    const stop = (kind: FfmpegFailureKind) => {
      if (ending) return;
      ending = kind;
      if (spawned) return void command.kill('SIGKILL');
      // Before 'start', fluent-ffmpeg is still preparing the command (its capability checks are
      // skipped above, but the spawn comes a few ticks after run()): there is no process to kill yet.
      // Settle now, and kill the encode if it ever starts.
      settle();
      reject(new FfmpegError(kind, `ffmpeg ${kind} before it started`, stderr));
    };
    const settle = () => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => stop('timeout'), run.timeoutMs);
    const onAbort = () => stop('aborted');
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });

    command.on('start', () => {
      spawned = true;
      if (ending) command.kill('SIGKILL');
    });
    command.on('stderr', (line: string) => {
      stderr = `${stderr + line}\n`.slice(-STDERR_KEEP);
      const seconds = run.onTime ? parseStatusTime(line) : null;
      if (seconds !== null) run.onTime?.(seconds);
    });
    command.on('end', () => {
      settle();
      if (ending) reject(new FfmpegError(ending, `ffmpeg ${ending}`, stderr));
      else resolve({ stderr });
    });
    command.on('error', (err: Error) => {
      settle();
      const kind = ending ?? 'failed';
      reject(new FfmpegError(kind, kind === 'failed' ? err.message : `ffmpeg ${kind}`, stderr));
    });
    command.run();
  });
}

export interface FfprobeRun {
  args: string[];
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

// A statically linked glibc still loads iconv modules from the system's gconv folder, and the
// static ffprobe of @ffprobe-installer segfaults doing so when an MPEG-TS names its service in a DVB
// charset. Without a gconv path the conversion fails cleanly and only that name is lost.
const PROBE_ENV = { ...process.env, GCONV_PATH: '/nonexistent-gconv' };

/**
 * ffprobe through execFile rather than fluent-ffmpeg: fluent's ffprobe has no timeout and no
 * way to kill it, and a hostile source must not be able to hang the worker.
 */
export function runFfprobe(
  binaries: FfmpegBinaries,
  run: FfprobeRun,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      binaries.ffprobe.path,
      ['-hide_banner', '-v', 'error', ...run.args],
      {
        timeout: run.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
        signal: run.signal,
        env: PROBE_ENV,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const killed = (error as { killed?: boolean }).killed;
        const kind: FfmpegFailureKind =
          error.name === 'AbortError' ? 'aborted' : killed ? 'timeout' : 'failed';
        reject(
          new FfmpegError(
            kind,
            kind === 'failed' ? stderr.trim() || error.message : `ffprobe ${kind}`,
            stderr,
          ),
        );
      },
    );
  });
}
