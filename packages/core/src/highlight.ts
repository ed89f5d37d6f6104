// Automatic highlight (`start: "auto"`): which window of the requested length holds the most action.
// The worker measures the source (one cheap ffmpeg pass, highlight-analysis.ts); the choice is here.

/** One sample of the source, taken at `index / sampleRate` seconds. */
export interface ActionSample {
  /** ffmpeg's scene score: how much this sample differs from the one before, 0 to 1. */
  scene: number;
  /** Average luma (8-bit, 0 to 255): near black, or rising from black, is a fade from black. */
  luma: number;
}

export const HIGHLIGHT_LIMITS = {
  /** Samples per second of the analysis pass. */
  sampleRate: 4,
  /** Width of the analysed frames (the height keeps the aspect ratio). */
  sampleWidth: 160,
  /** Only this much of the source is analysed and the window chosen in it, so long sources cost no more. */
  maxAnalysisSeconds: 600,
  /** Below this average luma a frame is black (limited-range black is 16, full-range 0). */
  blackLuma: 24,
  /** A rise of more than this per sample, after black, is still the fade. */
  fadeRise: 0.5,
} as const;

export interface HighlightChoice {
  /** Seconds, whole milliseconds. */
  start: number;
  /** The summed scene scores in the window (0 when nothing moved or no start was allowed). */
  action: number;
}

/** Starts that would open on black or inside a fade from black: black samples and the rising run after them. */
export function fadeFromBlack(samples: readonly ActionSample[]): boolean[] {
  const inFade: boolean[] = [];
  samples.forEach((sample, i) => {
    const previous = samples[i - 1];
    const rising =
      i > 0 &&
      inFade[i - 1] === true &&
      previous !== undefined &&
      sample.luma > previous.luma + HIGHLIGHT_LIMITS.fadeRise;
    inFade.push(sample.luma < HIGHLIGHT_LIMITS.blackLuma || rising);
  });
  return inFade;
}

// Scores as whole millionths: sums are exact, so equal windows tie exactly and the earliest wins.
const units = (scene: number) =>
  Number.isFinite(scene) && scene > 0 ? Math.round(Math.min(1, scene) * 1e6) : 0;

/**
 * The start of the window of `duration` seconds, within the first `span` seconds, whose samples
 * ([start, start + duration)) add up to the most action; starts in a fade from black are never chosen,
 * and ties go to the earliest. A window as long as the span, or no allowed start, starts at 0.
 */
export function chooseHighlight(
  samples: readonly ActionSample[],
  sampleRate: number,
  span: number,
  duration: number,
): HighlightChoice {
  const spanMs = Math.floor(span * 1000);
  const durationMs = Math.round(duration * 1000);
  const none = { start: 0, action: 0 };
  if (!(sampleRate > 0) || durationMs <= 0 || durationMs >= spanMs || samples.length === 0) return none;
  const timeMs = (i: number) => Math.round((i * 1000) / sampleRate);
  const prefix = [0];
  for (const sample of samples) prefix.push((prefix.at(-1) ?? 0) + units(sample.scene));
  const inFade = fadeFromBlack(samples);
  let best: HighlightChoice | null = null;
  let end = 0;
  for (let i = 0; i < samples.length && timeMs(i) + durationMs <= spanMs; i++) {
    // `end`: the first sample at or past the window's end; it only moves forward.
    if (end < i) end = i;
    while (end < samples.length && timeMs(end) < timeMs(i) + durationMs) end++;
    if (inFade[i]) continue;
    const action = (prefix[end] ?? 0) - (prefix[i] ?? 0);
    if (best === null || action > best.action) best = { start: timeMs(i) / 1000, action };
  }
  return best ? { start: best.start, action: best.action / 1e6 } : none;
}
