// The size budget (issue 16): a template's `maxBytes`, the most its file may weigh. Not the plan budget
// (budget.ts, the worker's cost ceiling and maxOutputBytes cap): a file over the plan budget is refused,
// a file over `maxBytes` is encoded again with less, lowering in order quality, fps and then size, and
// each retry is chosen from the bytes the last one measured. Pure: the worker encodes, this decides.

/** The levers, in the order they are lowered. */
export const BUDGET_LEVERS = ['quality', 'fps', 'size'] as const;
export type BudgetLever = (typeof BUDGET_LEVERS)[number];

export const SIZE_BUDGET_LIMITS = {
  maxBytesMin: 1024,
  maxBytesMax: 512 * 1024 * 1024,
  /** Encodes in all, the first (the template's own settings) included. */
  maxAttempts: 5,
  webpQualityFloor: 40,
  gifColorsFloor: 64,
  fpsFloor: 5,
  /** The template's smallest size (TEMPLATE_LIMITS.sizeMin): no side is made shorter. */
  shortSideFloor: 128,
  /** Aim under the budget by this factor, so an estimate a little off still fits. */
  margin: 0.95,
} as const;
const B = SIZE_BUDGET_LIMITS;

/** What an attempt is encoded with. `quality` is WebP's lossy quality, `colors` a GIF's palette size. */
export interface BudgetSettings {
  format: 'gif' | 'webp';
  /** Absent: no quality lever (a lossless WebP). */
  quality?: number | undefined;
  colors?: number | undefined;
  fps: number;
  width: number;
  height: number;
}

export interface BudgetAttempt {
  settings: BudgetSettings;
  /** The levers lowered from the first attempt so far, in order. */
  lowered: BudgetLever[];
}

// Measured shapes, not laws: libwebp's bytes fall about 2.5 % a quality point; a GIF's LZW codes grow
// with the palette's bit depth. Only used to guess a step; the next attempt measures again.
const webpBytesFactor = (from: number, to: number) => Math.exp(0.025 * (to - from));
const gifBytesFactor = (from: number, to: number) =>
  Math.log2(Math.max(2, to)) / Math.log2(Math.max(2, from));

function lowerQuality(s: BudgetSettings, needed: number): { settings: BudgetSettings; factor: number } {
  if (s.format === 'webp' && s.quality !== undefined && s.quality > B.webpQualityFloor) {
    // The quality whose modelled bytes meet the need, at least 5 points lower, never under the floor.
    const aimed = Math.floor(s.quality + Math.log(needed) / 0.025);
    const quality = Math.max(B.webpQualityFloor, Math.min(s.quality - 5, aimed));
    return { settings: { ...s, quality }, factor: webpBytesFactor(s.quality, quality) };
  }
  if (s.format === 'gif' && (s.colors ?? 256) > B.gifColorsFloor) {
    const from = s.colors ?? 256;
    let colors = Math.max(B.gifColorsFloor, Math.floor(from / 2));
    while (colors > B.gifColorsFloor && gifBytesFactor(from, colors) > needed) {
      colors = Math.max(B.gifColorsFloor, Math.floor(colors / 2));
    }
    return { settings: { ...s, colors }, factor: gifBytesFactor(from, colors) };
  }
  return { settings: s, factor: 1 };
}

function lowerFps(s: BudgetSettings, needed: number): { settings: BudgetSettings; factor: number } {
  if (s.fps <= B.fpsFloor) return { settings: s, factor: 1 };
  // Bytes follow the frame count: fps in proportion, at least one frame a second less.
  const fps = Math.max(B.fpsFloor, Math.min(s.fps - 1, Math.floor(s.fps * needed)));
  return { settings: { ...s, fps }, factor: fps / s.fps };
}

function lowerSize(s: BudgetSettings, needed: number): BudgetSettings {
  const short = Math.min(s.width, s.height);
  if (short <= B.shortSideFloor) return s;
  // Bytes follow the pixel count: both sides by the square root, the short side kept at its floor.
  const scale = Math.max(B.shortSideFloor / short, Math.min(0.95, Math.sqrt(needed)));
  const side = (n: number) => {
    const scaled = Math.max(B.shortSideFloor, Math.floor(n * scale));
    return s.format === 'webp' ? scaled - (scaled % 2) : scaled;
  };
  const width = side(s.width);
  const height = side(s.height);
  if (width >= s.width && height >= s.height) return s;
  return { ...s, width: Math.min(width, s.width), height: Math.min(height, s.height) };
}

function changed(a: BudgetSettings, b: BudgetSettings, lever: BudgetLever): boolean {
  if (lever === 'quality') return a.quality !== b.quality || a.colors !== b.colors;
  if (lever === 'fps') return a.fps !== b.fps;
  return a.width !== b.width || a.height !== b.height;
}

/**
 * The next attempt after `previous` made `bytes` against `maxBytes`, or null when none is left: it fit,
 * the attempts are spent (`attempts` made so far, SIZE_BUDGET_LIMITS.maxAttempts in all), or every lever
 * is at its floor. Quality is lowered first; fps only once quality is at its floor (in this attempt or
 * an earlier one), size only once fps is; each lever by what the measured ratio still needs.
 */
export function nextBudgetAttempt(
  previous: BudgetAttempt,
  bytes: number,
  maxBytes: number,
  attempts: number,
): BudgetAttempt | null {
  if (bytes <= maxBytes || attempts >= B.maxAttempts) return null;
  let needed = (maxBytes / bytes) * B.margin;
  let settings = previous.settings;
  const quality = lowerQuality(settings, needed);
  settings = quality.settings;
  needed /= quality.factor;
  if (needed < 1 && lowerQuality(settings, needed).factor === 1) {
    const fps = lowerFps(settings, needed);
    settings = fps.settings;
    needed /= fps.factor;
    if (needed < 1 && lowerFps(settings, needed).factor === 1) settings = lowerSize(settings, needed);
  }
  const lowered = BUDGET_LEVERS.filter(
    (lever) => previous.lowered.includes(lever) || changed(previous.settings, settings, lever),
  );
  if (BUDGET_LEVERS.every((lever) => !changed(previous.settings, settings, lever))) return null;
  return { settings, lowered };
}

/** What the result reports of a budget: the bound, the encodes made and the levers lowered. */
export interface BudgetReport {
  maxBytes: number;
  attempts: number;
  lowered: BudgetLever[];
}
