import type { DynamicImagePlan } from '@dynamic-image/core';
import type { FfmpegRun } from './ffmpeg.js';
import type { ResolvedSource } from './source.js';

export interface EncodeSettings {
  /** Above this many bytes of decoded frames, the GIF palette is made in a first pass. */
  paletteFrameBudgetBytes: number;
  webpQuality: number;
  webpCompressionLevel: number;
  gifDither: string;
  threads: number;
}

export const DEFAULT_ENCODE_SETTINGS: EncodeSettings = {
  // A split palette graph holds every frame until palettegen has seen the last one
  // (about 4·W·H bytes per frame, FIELD-NOTES); past this, two passes keep memory flat.
  paletteFrameBudgetBytes: 256 * 1024 * 1024,
  // q75 at level 4: ~1/25 of the GIF's bytes at SSIM 0.96 on natural content; level 6 costs
  // 10–13× the time for ~0.5 % fewer bytes (FIELD-NOTES).
  webpQuality: 75,
  webpCompressionLevel: 4,
  // Bayer 5 with diff stats and rectangle updates: same SSIM as two-pass defaults at fewer bytes
  // and half the time; bayer 3 bands on gradients (FIELD-NOTES).
  gifDither: 'bayer:bayer_scale=5',
  threads: 0,
};

const seconds = (s: number) => s.toFixed(3);

function frameChain(plan: DynamicImagePlan): string {
  const { width, height } = plan.geometry;
  // fps first so scaling only touches kept frames; setsar=1 because the size is already the displayed one.
  // trim caps the frames: an input -t lets through the first frame past the window, and with one frame
  // an hour fps would fill the gap with thousands of copies, all held by the palette split.
  return `fps=${plan.timing.fps},trim=end_frame=${plan.timing.frameCount},scale=${width}:${height}:flags=lanczos,setsar=1`;
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
          complexFilter: `[0:v]${chain},split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]${paletteUse}[out]`,
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
        complexFilter: `[0:v]${chain},palettegen=stats_mode=diff[out]`,
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
