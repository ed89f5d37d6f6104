// Encoder profiles: what a template asks for (quality, size, speed), and the backend and settings that
// deliver it per format. The table is chosen from measurements (docs/encoder-profiles.md); the
// worker only carries it out, and reports the choice with its result.
// No import of template.ts: it imports the profile names from here.

export const ENCODER_PROFILES = ['balanced', 'quality', 'small', 'fast'] as const;
export type EncoderProfile = (typeof ENCODER_PROFILES)[number];
export const DEFAULT_ENCODER_PROFILE: EncoderProfile = 'balanced';

/** ffmpeg's single-graph GIF: palettegen over the window, paletteuse with an ordered dither. */
export interface FfmpegGifSettings {
  /** palettegen's stats_mode: which pixels the palette is built from. */
  statsMode: 'diff' | 'full';
  /** paletteuse's dither, as ffmpeg spells it. */
  dither: string;
  /**
   * Rewrite the finished GIF with gifsicle -O2 where the worker has it: the same pixels, fewer bytes.
   * ffmpeg's GIF encoder makes every pixel that equals the previous frame's transparent, which breaks
   * LZW's runs on panning or grainy content (+5–11 % bytes); gifsicle keeps transparency only where it
   * shortens the frame. Measured in docs/encoder-profiles.md.
   */
  optimize?: boolean;
  /** Colours in the palette, 4–256 (a template's gifColors); absent: 255 and the transparent entry. */
  colors?: number;
}

/** libvips (through sharp): libimagequant per frame, cgif writing. */
export interface LibvipsGifSettings {
  /** 1–10; libimagequant's speed is 11 − effort. From 6 on it keeps dithering off flat areas. */
  effort: number;
  /** Floyd–Steinberg strength, 0–1. */
  dither: number;
  /** Pixels within this RGB distance of the previous frame are left transparent (0: exact only). */
  interFrameMaxError: number;
  /** A frame reuses the previous or global palette when its own is within this distance. */
  interPaletteMaxError: number;
  /** Colours in each frame's palette, 4–256 (a template's gifColors); absent: 256. */
  colors?: number;
}

export interface FfmpegWebpSettings {
  /** libwebp's lossy quality; absent only on a lossless WebP. */
  quality?: number;
  compressionLevel: number;
  /** A template's webpLossless: frames kept exactly (absent: lossy). */
  lossless?: true;
}

export type EncoderChoice =
  | { format: 'gif'; backend: 'ffmpeg'; settings: FfmpegGifSettings }
  | { format: 'gif'; backend: 'libvips'; settings: LibvipsGifSettings }
  | { format: 'webp'; backend: 'ffmpeg'; settings: FfmpegWebpSettings };
export type EncoderBackend = EncoderChoice['backend'];

/** Before profiles (template version 1): the settings every older template was made with. */
const VERSION_1: { gif: EncoderChoice; webp: EncoderChoice } = {
  gif: { format: 'gif', backend: 'ffmpeg', settings: { statsMode: 'diff', dither: 'bayer:bayer_scale=5' } },
  webp: { format: 'webp', backend: 'ffmpeg', settings: { quality: 75, compressionLevel: 4 } },
};

/**
 * What each profile means per format, chosen from measurements (docs/encoder-profiles.md):
 * - `balanced` stays on ffmpeg's graph: libvips reaches more SSIM per byte, but only from effort 6, at
 *   3–4× the graph's CPU time, far past the profile's time bound (1.3×);
 * - `quality` and `small`: libvips GIF (per-frame libimagequant palettes). Effort 6 turns on
 *   libimagequant's dither map (no dithering on flat areas): effort 5 loses 0.02 SSIM on photographs.
 *   interFrameMaxError leaves near-identical pixels transparent, which LZW packs: 6 brings photographs to
 *   gifski's bytes; `small` adds less dither and 8, fewest bytes at SSIM ≥ 0.95;
 * - `balanced` GIF adds gifsicle's lossless rewrite (3–11 % fewer bytes, identical frames, a few per
 *   cent more time); `fast` leaves it out;
 * - `fast`: the graph (the cheapest palette method measured), and WebP at compression level 2.
 */
export const ENCODER_TABLE: Record<EncoderProfile, { gif: EncoderChoice; webp: EncoderChoice }> = {
  fast: {
    gif: VERSION_1.gif,
    webp: { format: 'webp', backend: 'ffmpeg', settings: { quality: 75, compressionLevel: 2 } },
  },
  balanced: {
    gif: {
      format: 'gif',
      backend: 'ffmpeg',
      settings: { statsMode: 'diff', dither: 'bayer:bayer_scale=5', optimize: true },
    },
    webp: VERSION_1.webp,
  },
  quality: {
    gif: {
      format: 'gif',
      backend: 'libvips',
      settings: { effort: 7, dither: 1, interFrameMaxError: 6, interPaletteMaxError: 3 },
    },
    webp: { format: 'webp', backend: 'ffmpeg', settings: { quality: 85, compressionLevel: 4 } },
  },
  small: {
    gif: {
      format: 'gif',
      backend: 'libvips',
      settings: { effort: 6, dither: 0.75, interFrameMaxError: 8, interPaletteMaxError: 3 },
    },
    webp: { format: 'webp', backend: 'ffmpeg', settings: { quality: 70, compressionLevel: 4 } },
  },
};

/**
 * The backend and settings for a template: its profile's, or, for a version 1 template that names
 * none, the settings it was always made with (so older templates keep their output).
 */
export function chooseEncoder(
  format: EncoderChoice['format'],
  profile: EncoderProfile | undefined,
  templateVersion = 2,
): EncoderChoice {
  if (profile === undefined && templateVersion < 2) return VERSION_1[format];
  return ENCODER_TABLE[profile ?? DEFAULT_ENCODER_PROFILE][format];
}
