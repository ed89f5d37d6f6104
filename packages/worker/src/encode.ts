import type { DynamicImagePlan } from '@dynamic-image/core';
import type { FfmpegRun } from './ffmpeg.js';
import { FRAME_COUNTER, type ProgressWeights } from './progress.js';
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
  // A split palette graph holds every frame until palettegen has seen the last one (measured: about
  // 75 MB plus 4·W·H bytes per frame); past this, two passes keep memory flat.
  paletteFrameBudgetBytes: 256 * 1024 * 1024,
  // Chosen from BENCHMARKS.md, "Encoder settings explored" (same 4 s window, 480 px, 10 fps).
  // WebP q75 at level 4: SSIM about 0.975 on panning photographs and grain at 10–17 % of our GIF's
  // bytes. q70 saves 3–4 % of bytes for −0.007 SSIM; q60 reaches 15 % on grain only at SSIM 0.94.
  // Level 6 saves 2–7 % of bytes for up to twice the time (10–13× with Debian's libwebp 1.2.4: 18.7 s
  // against 1.4 s on one clip), and the worker's time is the scarcer resource.
  webpQuality: 75,
  webpCompressionLevel: 4,
  // Bayer 5. Per kind, the measured best differs: `none` scores +0.001–0.003 luma SSIM at 2–6 %
  // fewer bytes everywhere, but on photographs it bands skies and bokeh visibly, which SSIM doesn't
  // see (checked by eye); sierra2_4a suits screen recordings but costs photographs −0.05 SSIM and
  // +24 % bytes (its noise defeats GIF's LZW); bayer 4 loses 0.007 and bayer 3 bands. The worker
  // can't tell content apart, and banding on camera footage is the worst of these failures.
  gifDither: 'bayer:bayer_scale=5',
  // diff spends the palette on what moves: 14 % fewer bytes than full on test patterns, and
  // within 0.001 SSIM and 1 % of bytes of full on photographs, grain and screen recordings.
  gifStatsMode: 'diff',
  threads: 0,
};

const seconds = (s: number) => s.toFixed(3);

/**
 * How the window is reached. `input`: -ss before -i, which jumps to a key frame near the start, so a window an
 * hour in costs about what one at zero does. `decode`: every frame from the source's start is decoded and
 * the window cut out by a trim filter; for sources input seeking lands past the only key frame of (MPEG-TS
 * has no index, and may carry one key frame and a start time that is not zero).
 */
export type SeekMode = 'input' | 'decode';

function frameChain(plan: DynamicImagePlan, seek: SeekMode): string {
  const { width, height } = plan.geometry;
  // Filters see timestamps from zero (ffmpeg takes the source's start time off), as -ss counts them.
  const cut =
    seek === 'decode'
      ? `trim=start=${seconds(plan.window.start)}:end=${seconds(plan.window.start + plan.window.duration)},setpts=PTS-STARTPTS,`
      : '';
  // fps first so scaling only touches kept frames; setsar=1 because the size is already the displayed one.
  // trim caps the frames: an input -t lets through the first frame past the window, and with one frame
  // an hour fps would fill the gap with thousands of copies, all held by the palette split.
  return `${cut}fps=${plan.timing.fps},trim=end_frame=${plan.timing.frameCount},scale=${width}:${height}:flags=lanczos,setsar=1`;
}

export function usesTwoPassPalette(plan: DynamicImagePlan, settings: EncodeSettings): boolean {
  const frameBytes = plan.geometry.width * plan.geometry.height * 4;
  return plan.format === 'gif' && frameBytes * plan.timing.frameCount > settings.paletteFrameBudgetBytes;
}

function sourceInput(source: ResolvedSource, plan: DynamicImagePlan, seek: SeekMode) {
  if (seek === 'decode') return { source: source.input, options: [...source.inputOptions] };
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
  /** Each run, with what its progress is counted from (progress.ts). */
  runs: Array<Omit<FfmpegRun, 'timeoutMs' | 'signal' | 'onFrames'> & { progress: ProgressWeights }>;
}

// What a run's progress is counted from. WebP encodes each frame as it comes: ffmpeg's count of
// encoded frames says it all. A GIF's palette is made from every frame before any is encoded, so
// the single-pass graph counts frames on their way to the palette for most of its time (measured:
// 70–90 % of the run, decoding and palettegen's statistics), and encoded frames for the rest. Each
// of the two passes counts its frames as they pass (-progress reports only every half second, and
// a pass can end sooner).
const ENCODED: ProgressWeights = { counted: 0, encoded: 1 };
const COUNTED: ProgressWeights = { counted: 1, encoded: 0 };
const SINGLE_PASS_GIF: ProgressWeights = { counted: 0.8, encoded: 0.2 };

/** The ffmpeg runs for a plan: one run, or two when a GIF's palette must be made first. */
export function buildEncodeRuns(
  source: ResolvedSource,
  plan: DynamicImagePlan,
  output: string,
  palettePath: string,
  settings: EncodeSettings = DEFAULT_ENCODE_SETTINGS,
  seek: SeekMode = 'input',
): EncodeRun {
  const input = sourceInput(source, plan, seek);
  const chain = frameChain(plan, seek);
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
          progress: ENCODED,
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
          complexFilter: `[0:v]${chain},${FRAME_COUNTER},split[a][b];[a]palettegen=stats_mode=${settings.gifStatsMode}[p];[b][p]${paletteUse}[out]`,
          output,
          outputOptions: gifOutput,
          progress: SINGLE_PASS_GIF,
        },
      ],
    };
  }
  return {
    runs: [
      {
        inputs: [input],
        complexFilter: `[0:v]${chain},${FRAME_COUNTER},palettegen=stats_mode=${settings.gifStatsMode}[out]`,
        output: palettePath,
        outputOptions: ['-map', '[out]', ...commonOutput(settings), '-y'],
        progress: COUNTED,
      },
      {
        inputs: [input, { source: palettePath, options: ['-protocol_whitelist', 'file'] }],
        complexFilter: `[0:v]${chain},${FRAME_COUNTER}[x];[x][1:v]${paletteUse}[out]`,
        output,
        outputOptions: gifOutput,
        progress: COUNTED,
      },
    ],
  };
}
