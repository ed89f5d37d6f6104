// Which ffmpeg and ffprobe the worker runs. They decode untrusted media, so a maintained build comes
// first: FFMPEG_PATH/FFPROBE_PATH, then the system's (a distribution's ffmpeg gets security updates),
// and the static npm build from 2018 (@ffmpeg-installer, ffmpeg 4.1) only when nothing else is there,
// with a warning wherever the binaries are shown. The two always come from the same place: an npm
// ffmpeg next to a system ffprobe would probe with one demuxer set and decode with another.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);

export type BinarySource = 'env' | 'system' | 'npm-package';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
  ffprobe: ResolvedBinary;
  /**
   * gifsicle, for the lossless rewrite some profiles ask of a GIF (gif-optimize.ts): GIFSICLE_PATH, or
   * the system's. Optional: without it those GIFs keep ffmpeg's bytes, and the job's report says so.
   */
  gifsicle?: ResolvedBinary | null;
  /** Where both come from (they always share one). */
  source: BinarySource;
  /** Said wherever the binaries are shown: the log, `dynamic-image binaries`, the admin's status. */
  warnings: string[];
}

export class FfmpegBinariesError extends Error {
  override name = 'FfmpegBinariesError';
}

/** The npm build's warning: also recognised by the admin's status page. */
export const OUTDATED_NPM_FFMPEG =
  "ffmpeg comes from @ffmpeg-installer (ffmpeg 4.1, built in 2018, no security fixes since): install your system's ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH and FFPROBE_PATH";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return null;
}

function packagePath(name: string): string | null {
  try {
    const found = require(name) as { path?: unknown };
    return typeof found?.path === 'string' && existsSync(found.path) ? found.path : null;
  } catch {
    return null;
  }
}

/** Where the npm build's two binaries are (null when the package is missing). */
export interface NpmBuild {
  ffmpeg: () => string | null;
  ffprobe: () => string | null;
}

export const NPM_BUILD: NpmBuild = {
  ffmpeg: () => packagePath('@ffmpeg-installer/ffmpeg'),
  ffprobe: () => packagePath('@ffprobe-installer/ffprobe'),
};

function fromEnv(env: NodeJS.ProcessEnv): FfmpegBinaries | null {
  const ffmpeg = env.FFMPEG_PATH || undefined;
  // FFPROBE_PATH alone, or FFMPEG_PATH with an ffprobe beside it.
  const ffprobe = env.FFPROBE_PATH || (ffmpeg ? join(dirname(ffmpeg), 'ffprobe') : undefined);
  if (!ffmpeg && !ffprobe) return null;
  if (!ffmpeg) throw new FfmpegBinariesError('FFPROBE_PATH is set but FFMPEG_PATH is not: set both');
  for (const [name, path] of [
    ['FFMPEG_PATH', ffmpeg],
    ['FFPROBE_PATH', ffprobe],
  ] as const) {
    if (!path || !isExecutable(path)) {
      throw new FfmpegBinariesError(
        env[name]
          ? `${name}=${path} is not an executable file`
          : `${name} is not set and ${path} is not there`,
      );
    }
  }
  return {
    ffmpeg: { path: ffmpeg, source: 'env' },
    ffprobe: { path: ffprobe as string, source: 'env' },
    source: 'env',
    warnings: [],
  };
}

/**
 * FFMPEG_PATH/FFPROBE_PATH, then both on PATH, then both npm packages. Throws (with what was found)
 * when none of them gives a pair; a missing execute bit on the npm build is said, not repaired.
 */
export function resolveFfmpegBinaries(
  env: NodeJS.ProcessEnv = process.env,
  npm: NpmBuild = NPM_BUILD,
): FfmpegBinaries {
  return { ...resolvePair(env, npm), gifsicle: resolveGifsicle(env) };
}

/** GIFSICLE_PATH (which must be there when set), else gifsicle on PATH, else null. */
export function resolveGifsicle(env: NodeJS.ProcessEnv = process.env): ResolvedBinary | null {
  const explicit = env.GIFSICLE_PATH;
  if (explicit) {
    if (!isExecutable(explicit))
      throw new FfmpegBinariesError(`GIFSICLE_PATH=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  const system = onPath('gifsicle', env);
  return system ? { path: system, source: 'system' } : null;
}

function resolvePair(env: NodeJS.ProcessEnv, npm: NpmBuild): FfmpegBinaries {
  const explicit = fromEnv(env);
  if (explicit) return explicit;
  const warnings: string[] = [];

  const systemFfmpeg = onPath('ffmpeg', env);
  const systemFfprobe = onPath('ffprobe', env);
  if (systemFfmpeg && systemFfprobe) {
    return {
      ffmpeg: { path: systemFfmpeg, source: 'system' },
      ffprobe: { path: systemFfprobe, source: 'system' },
      source: 'system',
      warnings,
    };
  }
  if (systemFfmpeg || systemFfprobe) {
    warnings.push(
      `only ${systemFfmpeg ? `ffmpeg (${systemFfmpeg})` : `ffprobe (${systemFfprobe})`} is on PATH; the pair is not used`,
    );
  }

  const npmFfmpeg = npm.ffmpeg();
  const npmFfprobe = npm.ffprobe();
  if (npmFfmpeg && npmFfprobe) {
    const notExecutable = [npmFfmpeg, npmFfprobe].filter((p) => !isExecutable(p));
    if (notExecutable.length > 0) {
      throw new FfmpegBinariesError(
        `${notExecutable.join(' and ')} ${notExecutable.length > 1 ? 'have' : 'has'} no execute bit (the package's install script did not run). ` +
          'Install the system ffmpeg (apt-get install ffmpeg), or set FFMPEG_PATH and FFPROBE_PATH',
      );
    }
    return {
      ffmpeg: { path: npmFfmpeg, source: 'npm-package' },
      ffprobe: { path: npmFfprobe, source: 'npm-package' },
      source: 'npm-package',
      warnings: [...warnings, OUTDATED_NPM_FFMPEG],
    };
  }
  throw new FfmpegBinariesError(
    `ffmpeg and ffprobe not found${warnings.length ? ` (${warnings.join('; ')})` : ''}: install ffmpeg (apt-get install ffmpeg), or set FFMPEG_PATH and FFPROBE_PATH`,
  );
}

const versionCache = new Map<string, Promise<string>>();

/** "5.1.9-0+deb12u1", from `ffmpeg -version`; "unknown" if it can't be read. */
export function ffmpegVersion(binaries: FfmpegBinaries): Promise<string> {
  const path = binaries.ffmpeg.path;
  let version = versionCache.get(path);
  if (!version) {
    version = promisify(execFile)(path, ['-hide_banner', '-version'], { timeout: 10_000, env: {} })
      .then(({ stdout }) => /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown')
      .catch(() => 'unknown');
    versionCache.set(path, version);
  }
  return version;
}

export function describeBinaries(binaries: FfmpegBinaries, version?: string): string {
  const lines = [
    `ffmpeg: ${binaries.ffmpeg.path}; ffprobe: ${binaries.ffprobe.path} (${binaries.source}${version ? `, version ${version}` : ''})`,
    binaries.gifsicle
      ? `gifsicle: ${binaries.gifsicle.path} (${binaries.gifsicle.source})`
      : `gifsicle: not found (balanced GIFs keep ffmpeg's bytes, 3–11 % more: apt-get install gifsicle)`,
    ...binaries.warnings.map((w) => `WARNING: ${w}`),
  ];
  return lines.join('\n');
}
