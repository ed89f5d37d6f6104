import type { DynamicImagePlan } from '@dynamic-image/core';
import type { FfmpegRun } from './ffmpeg.js';
import type { ResolvedSource } from './source.js';

export interface EncodeSettings {
  /** Above this many bytes of decoded frames, the GIF palette is made in a first pass. */
  paletteFrameBudgetBytes: number;
  webpQuality: number;
  webpCompressionLevel: number;
  gifDither: string;
  /** palettegen's stats_mode: which pixels the palette is built from. */
  gifStatsMode: 'diff' | 'full';
  threads: number;
}

export const DEFAULT_ENCODE_SETTINGS: EncodeSettings = {
  // A split palette graph holds every frame until palettegen has seen the last one
  // (about 4·W·H bytes per frame, FIELD-NOTES); past this, two passes keep memory flat.
  paletteFrameBudgetBytes: 256 * 1024 * 1024,
  // Chosen from BENCHMARKS.md, "Encoder settings explored" (same window, 480 px, 10 fps):
  // WebP q75 at level 4 keeps SSIM about 0.97 on panning photographs and grain at 17–24 % of our
  // GIF's bytes; q70 saves about 6 % for −0.005 SSIM, and q60 gets near 15 % only below SSIM 0.95.
  // Level 6 saves about 3 % for 1.3× the time with this ffmpeg's libwebp (10–13× with Debian's
  // libwebp 1.2.4, FIELD-NOTES).
  webpQuality: 75,
  webpCompressionLevel: 4,
  // Bayer 5: on photographs `none` scores about +0.001 luma SSIM at 1 % fewer bytes but bands
  // skies visibly, which SSIM doesn't see; on screen recordings and test patterns `none` wins on
  // both counts (+0.003 SSIM, −5 % bytes), but the worker can't tell content apart and banding on
  // camera footage is the worse failure. Error diffusion (sierra2_4a) makes noise that GIF
  // compresses badly (+10 % bytes, −0.02 SSIM on photographs); bayer 4 loses 0.004 SSIM, bayer 3 bands.
  gifDither: 'bayer:bayer_scale=5',
  // diff spends the palette on what moves: level with full on photographs, −12 % bytes on test
  // patterns, −0.001 SSIM on screen recordings (where full would weight the static text).
  gifStatsMode: 'diff',
  threads: 0,
};

const seconds = (s: number) => s.toFixed(3);

function frameChain(plan: DynamicImagePlan): string {
  const { width, height } = plan.geometry;
  // fps first so scaling only touches kept frames; setsar=1 because the size is already the displayed one.
  return `fps=${plan.timing.fps},scale=${width}:${height}:flags=lanczos,setsar=1`;
}

export function usesTwoPassPalette(plan: DynamicImagePlan, settings: EncodeSettings): boolean {
  const frameBytes = plan.geometry.width * plan.geometry.height * 4;
  return plan.format === 'gif' && frameBytes * plan.timing.frameCount > settings.paletteFrameBudgetBytes;
}

function sourceInput(source: ResolvedSource, plan: DynamicImagePlan) {
  // -ss before -i seeks the input, so a window an hour in costs about the same as one at zero.
  return {
    source: source.input,
    options: [...source.inputOptions, '-ss', seconds(plan.window.start), '-t', seconds(plan.window.duration)],
  };
}

const commonOutput = (settings: EncodeSettings) => [
  '-an',
  '-sn',
  '-dn',
  '-threads',
  String(settings.threads),
];

export interface EncodeRun {
  runs: Array<Omit<FfmpegRun, 'timeoutMs' | 'signal' | 'onTime'>>;
}

/** The ffmpeg runs for a plan: one run, or two when a GIF's palette must be made first. */
export function buildEncodeRuns(
  source: ResolvedSource,
  plan: DynamicImagePlan,
  output: string,
  palettePath: string,
  settings: EncodeSettings = DEFAULT_ENCODE_SETTINGS,
): EncodeRun {
  const input = sourceInput(source, plan);
  const chain = frameChain(plan);
  if (plan.format === 'webp') {
    return {
      runs: [
        {
          inputs: [input],
          complexFilter: `[0:v]${chain},format=yuv420p[out]`,
          output,
          outputOptions: [
            '-map',
            '[out]',
            ...commonOutput(settings),
            '-c:v',
            'libwebp_anim',
            '-lossless',
            '0',
            '-quality',
            String(settings.webpQuality),
            '-compression_level',
            String(settings.webpCompressionLevel),
            '-loop',
            '0',
            '-f',
            'webp',
            '-y',
          ],
        },
      ],
    };
  }
  const paletteUse = `paletteuse=dither=${settings.gifDither}:diff_mode=rectangle`;
  const gifOutput = ['-map', '[out]', ...commonOutput(settings), '-loop', '0', '-f', 'gif', '-y'];
  if (!usesTwoPassPalette(plan, settings)) {
    return {
      runs: [
        {
          inputs: [input],
          complexFilter: `[0:v]${chain},split[a][b];[a]palettegen=stats_mode=${settings.gifStatsMode}[p];[b][p]${paletteUse}[out]`,
          output,
          outputOptions: gifOutput,
        },
      ],
    };
  }
  return {
    runs: [
      {
        inputs: [input],
        complexFilter: `[0:v]${chain},palettegen=stats_mode=${settings.gifStatsMode}[out]`,
        output: palettePath,
        outputOptions: ['-map', '[out]', ...commonOutput(settings), '-y'],
      },
      {
        inputs: [input, { source: palettePath, options: ['-protocol_whitelist', 'file'] }],
        complexFilter: `[0:v]${chain}[x];[x][1:v]${paletteUse}[out]`,
        output,
        outputOptions: gifOutput,
      },
    ],
  };
}
