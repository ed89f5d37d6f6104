import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

export type BinarySource = 'env' | 'ffmpeg-static' | 'npm-package' | 'system';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
  ffprobe: ResolvedBinary;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromPackage(load: () => unknown): string | null {
  try {
    const found = load();
    const path = typeof found === 'string' ? found : (found as { path?: unknown })?.path;
    return typeof path === 'string' && existsSync(path) && isExecutable(path) ? path : null;
  } catch {
    // An optional package that failed to install (ffmpeg-static offline) is simply skipped.
    return null;
  }
}

function fromSystemPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return null;
}

function resolveOne(
  name: 'ffmpeg' | 'ffprobe',
  envVar: string,
  packages: Array<[BinarySource, () => unknown]>,
  env: NodeJS.ProcessEnv,
): ResolvedBinary {
  const explicit = env[envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${envVar}=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  for (const [source, load] of packages) {
    const path = fromPackage(load);
    if (path) return { path, source };
  }
  const system = fromSystemPath(name, env);
  if (system) return { path: system, source: 'system' };
  throw new Error(
    `${name} not found: set ${envVar}, or install ffmpeg-static / @ffmpeg-installer/ffmpeg, or put ${name} on PATH`,
  );
}

/**
 * Order: FFMPEG_PATH / FFPROBE_PATH, then ffmpeg-static (when its download worked),
 * then the binaries shipped inside npm packages, then the system PATH.
 */
export function resolveFfmpegBinaries(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  return {
    ffmpeg: resolveOne(
      'ffmpeg',
      'FFMPEG_PATH',
      [
        ['ffmpeg-static', () => require('ffmpeg-static')],
        ['npm-package', () => require('@ffmpeg-installer/ffmpeg')],
      ],
      env,
    ),
    ffprobe: resolveOne(
      'ffprobe',
      'FFPROBE_PATH',
      [
        ['ffmpeg-static', () => require('ffprobe-static')],
        ['npm-package', () => require('@ffprobe-installer/ffprobe')],
      ],
      env,
    ),
  };
}

export function describeBinaries(binaries: FfmpegBinaries): string {
  return `ffmpeg: ${binaries.ffmpeg.path} (${binaries.ffmpeg.source}); ffprobe: ${binaries.ffprobe.path} (${binaries.ffprobe.source})`;
}
