// The only module that starts ffmpeg and ffprobe. Both run through the sandbox (sandbox.ts): a
// minimal environment, -nostdin, memory and CPU limits, and a kill at the wall-clock time limit.
// fluent-ffmpeg (unmaintained since 2025) used to sit here; it could not be given an environment,
// and the worker passes raw options that ffmpeg checks itself, so plain spawn does the job.
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { FfmpegBinaries } from './binaries.js';
import {
  countedFrames,
  encodedFrames,
  type FrameCounts,
  isCounterLine,
  PROGRESS_OPTIONS,
} from './progress.js';
import { childEnvironment, DEFAULT_LIMITS, limitedCommand, type ProcessLimits } from './sandbox.js';

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
  limits?: ProcessLimits | undefined;
  /** Frames so far (progress.ts): ffmpeg then writes `-progress` to stdout instead of status lines. */
  onFrames?: ((frames: FrameCounts) => void) | undefined;
  /**
   * Reads what ffmpeg writes to file descriptor 3 (an output of `pipe:3`; stdout carries `-progress`): the
   * run ends when both ffmpeg and this have, and a rejection stops ffmpeg and fails the run with that error.
   */
  readOutput?: ((output: Readable) => Promise<void>) | undefined;
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

// ffmpeg writes kilobytes of banner and per-frame status; keep the tail, where the error is.
const STDERR_KEEP = 16_384;

/** Splits a stream's text into lines, holding back an unfinished one (status lines end in \r, messages in \n). */
function lineReader(onLine: (line: string) => void) {
  let partial = '';
  return {
    push(chunk: string) {
      const lines = (partial + chunk).split(/\r\n|\r|\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) onLine(line);
    },
    end() {
      if (partial) onLine(partial);
      partial = '';
    },
  };
}

/** The argument list: inputs with their options, the filter graph, output options, output. */
export function ffmpegArguments(
  run: Pick<FfmpegRun, 'inputs' | 'complexFilter' | 'outputOptions' | 'output'>,
) {
  return [
    '-nostdin',
    '-hide_banner',
    '-y',
    ...run.inputs.flatMap((input) => [...input.options, '-i', input.source]),
    ...(run.complexFilter ? ['-filter_complex', run.complexFilter] : []),
    ...run.outputOptions,
    run.output,
  ];
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'ffmpeg was killed (SIGKILL: its CPU time limit, or the system)';
  if (signal) return `ffmpeg was killed by ${signal}`;
  return `ffmpeg exited with code ${code}`;
}

export function runFfmpeg(binaries: FfmpegBinaries, run: FfmpegRun): Promise<{ stderr: string }> {
  return new Promise((resolve, reject) => {
    const { onFrames } = run;
    const { command, args } = limitedCommand(
      binaries.ffmpeg.path,
      [...(onFrames ? PROGRESS_OPTIONS : []), ...ffmpegArguments(run)],
      run.limits ?? DEFAULT_LIMITS,
      run.timeoutMs,
    );
    const child = spawn(command, args, {
      env: childEnvironment(),
      stdio: ['ignore', onFrames ? 'pipe' : 'ignore', 'pipe', run.readOutput ? 'pipe' : 'ignore'],
      windowsHide: true,
    });
    // The reader's outcome: a failure there is the run's failure, whatever ffmpeg then does.
    let readerError: unknown = null;
    const output = child.stdio[3] as Readable | null;
    const reading =
      run.readOutput && output
        ? run.readOutput(output).catch((err: unknown) => {
            readerError = err;
            child.kill('SIGKILL');
          })
        : Promise.resolve();
    let stderr = '';
    const frames: FrameCounts = { counted: 0, encoded: 0 };
    const count = (key: keyof FrameCounts, value: number | null) => {
      if (value === null || value <= frames[key]) return;
      frames[key] = value;
      onFrames?.({ ...frames });
    };
    const errLines = lineReader((line) => {
      if (onFrames && isCounterLine(line)) return count('counted', countedFrames(line));
      stderr = `${stderr + line}\n`.slice(-STDERR_KEEP);
    });
    const outLines = lineReader((line) => count('encoded', encodedFrames(line)));
    let ending: FfmpegFailureKind | null = null;
    const stop = (kind: FfmpegFailureKind) => {
      if (ending) return;
      ending = kind;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), run.timeoutMs);
    const onAbort = () => stop('aborted');
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
    };

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => errLines.push(chunk));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => outLines.push(chunk));
    child.on('error', (err) => {
      settle();
      reject(new FfmpegError(ending ?? 'failed', err.message, stderr));
    });
    child.on('close', async (code, signal) => {
      settle();
      errLines.end();
      await reading;
      if (ending) return reject(new FfmpegError(ending, `ffmpeg ${ending}`, stderr));
      if (readerError) return reject(readerError);
      if (code === 0) return resolve({ stderr });
      const tail = stderr.trim().split('\n').slice(-3).join(' ');
      reject(new FfmpegError('failed', `${exitText(code, signal)}: ${tail}`, stderr));
    });
  });
}

export interface FfprobeRun {
  args: string[];
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  limits?: ProcessLimits | undefined;
}

/** ffprobe, with a timeout and a kill: a hostile source must not be able to hang the worker. */
export function runFfprobe(
  binaries: FfmpegBinaries,
  run: FfprobeRun,
): Promise<{ stdout: string; stderr: string }> {
  const { command, args } = limitedCommand(
    binaries.ffprobe.path,
    ['-hide_banner', '-v', 'error', ...run.args],
    run.limits ?? DEFAULT_LIMITS,
    run.timeoutMs,
  );
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        timeout: run.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
        signal: run.signal,
        env: childEnvironment(),
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
    child.stdin?.end();
  });
}
