import {
  chooseEncoder,
  containerLoopCount,
  type DynamicImagePlan,
  type FfmpegGifSettings,
  type FfmpegWebpSettings,
} from '@dynamic-image/core';
import type { FfmpegRun } from './ffmpeg.js';
import { type ChunkLimits, DEFAULT_CHUNK_LIMITS } from './gif-libvips.js';
import { FRAME_COUNTER, type ProgressWeights } from './progress.js';
import type { ResolvedSource } from './source.js';

export interface EncodeSettings {
  /** Above this many bytes of decoded frames, the GIF palette is made in a first pass. */
  paletteFrameBudgetBytes: number;
  /** How the libvips GIF backend splits the window (gif-libvips.ts). */
  chunks: ChunkLimits;
  threads: number;
  /**
   * Overrides of the plan's ffmpeg settings, for experiments and tests, in ffmpeg's terms; the plan
   * (the template's profile and encoder controls) decides them otherwise (core's encoder.ts and
   * encoder-controls.ts, where the reasons for each value are written).
   */
  graphDither?: string;
  graphStatsMode?: 'diff' | 'full';
  libwebpQuality?: number;
  libwebpCompressionLevel?: number;
}

export const DEFAULT_ENCODE_SETTINGS: EncodeSettings = {
  // A split palette graph holds every frame until palettegen has seen the last one (measured: about
  // 75 MB plus 4·W·H bytes per frame); past this, two passes keep memory flat.
  paletteFrameBudgetBytes: 256 * 1024 * 1024,
  chunks: DEFAULT_CHUNK_LIMITS,
  threads: 0,
};

// Why these values (measured in BENCHMARKS.md, "Encoder settings explored"), for the ffmpeg backend:
// - WebP q75 at level 4: SSIM about 0.975 on panning photographs and grain at 10–17 % of our GIF's
//   bytes. q70 saves 3–4 % of bytes for −0.007 SSIM; q60 reaches 15 % on grain only at SSIM 0.94.
//   Level 6 saves 2–7 % of bytes for up to twice the time (10–13× with Debian's libwebp 1.2.4).
// - GIF dither bayer 5: `none` scores +0.001–0.003 luma SSIM at 2–6 % fewer bytes, but on photographs it
//   bands skies and bokeh visibly, which SSIM doesn't see (checked by eye); sierra2_4a suits screen
//   recordings but costs photographs −0.05 SSIM and +24 % bytes; bayer 4 loses 0.007 and bayer 3 bands.
// - stats_mode diff spends the palette on what moves: 14 % fewer bytes than full on test patterns.
function ffmpegGif(plan: DynamicImagePlan, settings: EncodeSettings): FfmpegGifSettings {
  const planned =
    plan.encoder.format === 'gif' && plan.encoder.backend === 'ffmpeg'
      ? plan.encoder.settings
      : // The libvips backend planned but unavailable: the graph every version 1 template gets.
        (chooseEncoder('gif', undefined, 1).settings as FfmpegGifSettings);
  const gif: FfmpegGifSettings = {
    statsMode: settings.graphStatsMode ?? planned.statsMode,
    dither: settings.graphDither ?? planned.dither,
  };
  if (planned.colors !== undefined) gif.colors = planned.colors;
  return gif;
}

function ffmpegWebp(plan: DynamicImagePlan, settings: EncodeSettings): FfmpegWebpSettings {
  const planned =
    plan.encoder.format === 'webp'
      ? plan.encoder.settings
      : (chooseEncoder('webp', undefined, 1).settings as FfmpegWebpSettings);
  const compressionLevel = settings.libwebpCompressionLevel ?? planned.compressionLevel;
  if (planned.lossless) return { lossless: true, compressionLevel };
  // A lossy plan always carries its quality; 75 is libwebp's own default.
  return { quality: settings.libwebpQuality ?? planned.quality ?? 75, compressionLevel };
}

const seconds = (s: number) => s.toFixed(3);

/**
 * How the window is reached. `input`: -ss before -i, which jumps to a key frame near the start, so a window an
 * hour in costs about what one at zero does. `decode`: every frame from the source's start is decoded and
 * the window cut out by a trim filter; for sources input seeking lands past the only key frame of (MPEG-TS
 * has no index, and may carry one key frame and a start time that is not zero).
 */
export type SeekMode = 'input' | 'decode';

/** A rate as ffmpeg reads it exactly: core keeps rates in hundredths (fps × speed). */
const rate = (n: number) => (Number.isInteger(n) ? String(n) : `${Math.round(n * 100)}/100`);

/**
 * Forward, then backward without repeating either end (n + n − 2 frames). `reverse` holds every frame
 * of the window until the last, which core's budget bounds (MAX_BUFFERED_PIXEL_FRAMES); the reversed
 * branch starts from zero so concat places it right after the forward one. Labels are the graph's own.
 */
function boomerang(frames: number): string {
  if (frames <= 2) return '';
  return `,split[bmf][bmb];[bmb]reverse,trim=start_frame=1:end_frame=${frames - 1},setpts=PTS-STARTPTS[bmr];[bmf][bmr]concat=n=2:v=1:a=0`;
}

function frameChain(plan: DynamicImagePlan, seek: SeekMode): string {
  const { width, height } = plan.geometry;
  const timing = plan.timing;
  // Filters see timestamps from zero (ffmpeg takes the source's start time off), as -ss counts them.
  const cut =
    seek === 'decode'
      ? `trim=start=${seconds(plan.window.start)}:end=${seconds(plan.window.start + plan.window.duration)},setpts=PTS-STARTPTS,`
      : '';
  // Speed apart from sampling: timestamps divided by the speed, then sampled at the playback rate, take
  // the frames fps=sampleFps would, already spaced to play at fps × speed (GIF and WebP delays follow).
  const sample =
    timing.speed === 1 ? `fps=${rate(timing.fps)}` : `setpts=PTS/${timing.speed},fps=${rate(timing.fps)}`;
  // fps first so scaling only touches kept frames; setsar=1 because the size is already the displayed one.
  // trim caps the frames: an input -t lets through the first frame past the window, and with one frame
  // an hour fps would fill the gap with thousands of copies, all held by the palette split.
  const chain = `${cut}${sample},trim=end_frame=${timing.sampledFrames},scale=${width}:${height}:flags=lanczos,setsar=1`;
  return timing.boomerang ? `${chain}${boomerang(timing.sampledFrames)}` : chain;
}

/** ffmpeg's `-loop` for the plan's plays: the gif muxer's -1 leaves the loop block out (one play). */
function loopOption(plan: DynamicImagePlan): string[] {
  return ['-loop', String(containerLoopCount(plan.format, plan.loopCount) ?? -1)];
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

/**
 * The window's frames as raw RGBA on ffmpeg's file descriptor 3, after the same seek, fps and scale as
 * the graph: what an encoder outside ffmpeg (gif-libvips.ts) reads.
 */
export function buildFrameRun(
  source: ResolvedSource,
  plan: DynamicImagePlan,
  settings: EncodeSettings = DEFAULT_ENCODE_SETTINGS,
  seek: SeekMode = 'input',
): EncodeRun['runs'][number] {
  return {
    inputs: [sourceInput(source, plan, seek)],
    complexFilter: `[0:v]${frameChain(plan, seek)},format=rgba[out]`,
    // File descriptor 3: stdout carries -progress.
    output: 'pipe:3',
    outputOptions: ['-map', '[out]', ...commonOutput(settings), '-f', 'rawvideo', '-pix_fmt', 'rgba'],
    progress: ENCODED,
  };
}

export interface EncodeRun {
  /** Each run, with what its progress is counted from (progress.ts). */
  runs: Array<Omit<FfmpegRun, 'timeoutMs' | 'signal' | 'onFrames'> & { progress: ProgressWeights }>;
}

// What a run's progress is counted from. WebP encodes each frame as it comes, so the graph's counter,
// just before the encoder, says how far it is, frame by frame (ffmpeg's count of encoded frames comes
// only every half second: one or two values for a one-second encode). A GIF's palette is made from every frame before any is encoded, so
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
    const webp = ffmpegWebp(plan, settings);
    // Lossless keeps the frames' RGB: yuv420p would halve the colour resolution before libwebp sees it.
    // Lossy stays on yuv420p, which libwebp's lossy mode encodes anyway. Without -quality, a lossless
    // libwebp spends its default effort (75).
    const mode = webp.lossless ? ['-lossless', '1'] : ['-lossless', '0', '-quality', String(webp.quality)];
    return {
      runs: [
        {
          inputs: [input],
          complexFilter: `[0:v]${chain},${FRAME_COUNTER},format=${webp.lossless ? 'bgra' : 'yuv420p'}[out]`,
          output,
          outputOptions: [
            '-map',
            '[out]',
            ...commonOutput(settings),
            '-c:v',
            'libwebp_anim',
            ...mode,
            '-compression_level',
            String(webp.compressionLevel),
            ...loopOption(plan),
            '-f',
            'webp',
            '-y',
          ],
          progress: COUNTED,
        },
      ],
    };
  }
  const gif = ffmpegGif(plan, settings);
  const paletteUse = `paletteuse=dither=${gif.dither}:diff_mode=rectangle`;
  // A template's gifColors: palettegen counts the entry it keeps for transparency among its max_colors.
  const colors = gif.colors === undefined ? '' : `:max_colors=${Math.min(gif.colors + 1, 256)}`;
  const gifOutput = ['-map', '[out]', ...commonOutput(settings), ...loopOption(plan), '-f', 'gif', '-y'];
  if (!usesTwoPassPalette(plan, settings)) {
    return {
      runs: [
        {
          inputs: [input],
          complexFilter: `[0:v]${chain},${FRAME_COUNTER},split[a][b];[a]palettegen=stats_mode=${gif.statsMode}${colors}[p];[b][p]${paletteUse}[out]`,
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
        complexFilter: `[0:v]${chain},${FRAME_COUNTER},palettegen=stats_mode=${gif.statsMode}${colors}[out]`,
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
