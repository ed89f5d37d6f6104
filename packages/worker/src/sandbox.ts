// How ffmpeg and ffprobe are started: they parse untrusted media, so they get nothing they don't need.
// - A minimal environment: no DATABASE_URL, no worker secret, none of the CMS's variables.
// - Resource limits through the shell's ulimit (POSIX, so no extra tool): address space, and CPU
//   time as a backstop for the wall-clock time limit that also holds when the worker itself dies
//   (kill -9 leaves its children running) or its timer can't fire.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface ProcessLimits {
  /** Address space (virtual memory) of one ffmpeg/ffprobe process. */
  memoryBytes: number;
  /** CPU seconds of one process; undefined: derived from its wall-clock time limit. */
  cpuSeconds?: number | undefined;
}

/**
 * 4 GiB: a 4096-wide GIF window with the single-pass palette graph holds every frame (about
 * 75 MB + 4·W·H·frames), and ffmpeg's threads each reserve stacks and malloc arenas on top.
 */
export const DEFAULT_MEMORY_BYTES = 4 * 1024 ** 3;
export const DEFAULT_LIMITS: ProcessLimits = { memoryBytes: DEFAULT_MEMORY_BYTES };

/**
 * CPU seconds allowed for a process that may run `wallMs`: every core busy for the whole time,
 * plus a little for start-up. A process that reaches it is killed by the kernel (SIGKILL).
 */
export function cpuSecondsFor(wallMs: number, limits: ProcessLimits = DEFAULT_LIMITS): number {
  if (limits.cpuSeconds !== undefined) return limits.cpuSeconds;
  return Math.ceil((wallMs / 1000) * availableParallelism()) + 5;
}

const SHELL = '/bin/sh';

/** The environment ffmpeg and ffprobe see: a path to find helpers, a plain locale, nothing else. */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C',
    // A statically linked glibc still loads iconv modules from the system's gconv folder, and the
    // static ffprobe of @ffprobe-installer segfaults doing so when an MPEG-TS names its service in a
    // DVB charset. Without a gconv path the conversion fails cleanly and only that name is lost.
    GCONV_PATH: '/nonexistent-gconv',
  };
}

/**
 * The command and arguments that run `binary args` under the limits: `sh -c 'ulimit …; exec "$0" "$@"'`.
 * Soft and hard limits are set together, so the kernel kills with SIGKILL at the CPU limit instead
 * of sending SIGXCPU, which ffmpeg would catch and treat as a polite request to finish.
 */
export function limitedCommand(
  binary: string,
  args: string[],
  limits: ProcessLimits,
  wallMs: number,
): { command: string; args: string[] } {
  if (!existsSync(SHELL)) return { command: binary, args };
  const kb = Math.floor(limits.memoryBytes / 1024);
  const cpu = cpuSecondsFor(wallMs, limits);
  const script = `ulimit -v ${kb} && ulimit -t ${cpu} && exec "$0" "$@"`;
  return { command: SHELL, args: ['-c', script, binary, ...args] };
}
