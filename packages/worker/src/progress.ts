// How far an encode has gone, counted in frames against the plan's frame count. Two of ffmpeg's
// outputs tell it:
// - `-progress pipe:1`: `frame=N`, the frames handed to the encoder so far, every half second (WebP's
//   libwebp_anim hands its one packet to the muxer only at the end, so the status line's `time=` stays
//   at zero). That is the story for a GIF whose palette is already made, and for the raw frames of the
//   libvips backend.
// - A counter in the filter graph (metadata add, then print), which logs a line as each frame passes:
//   WebP's frames, just before the encoder that takes each as it comes, and a GIF's. A GIF made in one run encodes nothing until palettegen has seen the last frame, and ffmpeg prints
//   no progress at all before every output has started: measured on a 720p source, nothing for the
//   first 10.3 s of an 11.7 s run. The counter sees those frames as they are decoded. (The 2018 npm
//   build, 4.1, prints nothing for it; its progress then comes from the encoded frames only.)

/** Frames that passed the graph's counter, and frames handed to the encoder. */
export interface FrameCounts {
  counted: number;
  encoded: number;
}

/** How much of a run each count stands for; the two add up to 1. */
export type ProgressWeights = FrameCounts;

/** Global ffmpeg options: progress as `key=value` lines on stdout, and no status lines on stderr. */
export const PROGRESS_OPTIONS = ['-progress', 'pipe:1', '-nostats'];

const COUNTER_KEY = 'dynamic_image.counted';

/** Filters that log each frame passing them (at ffmpeg's default log level), changing nothing. */
export const FRAME_COUNTER = `metadata=mode=add:key=${COUNTER_KEY}:value=1,metadata=mode=print:key=${COUNTER_KEY}`;

// The counter's lines: `[Parsed_metadata_5 @ 0x…] frame:12   pts:12 pts_time:1.2`, then `… dynamic_image.counted=1`.
const COUNTER_FRAME = /\] frame:(\d+)\s+pts:/;
const COUNTER_LINE = new RegExp(`\\] (frame:\\d+\\s+pts:|${COUNTER_KEY.replace('.', '\\.')}=)`);

/** Frames handed to the encoder, from a line of `-progress` output. */
export function encodedFrames(line: string): number | null {
  const match = /^frame=(\d+)$/.exec(line.trim());
  return match ? Number(match[1]) : null;
}

/** Frames that have passed the counter, from a line of ffmpeg's log. */
export function countedFrames(line: string): number | null {
  const match = COUNTER_FRAME.exec(line);
  return match ? Number(match[1]) + 1 : null;
}

/** Whether a log line is the counter's: kept out of the log tail that explains a failure. */
export function isCounterLine(line: string): boolean {
  return COUNTER_LINE.test(line);
}

/** The share of a run done, from 0 to 1. */
export function runFraction(counts: FrameCounts, weights: ProgressWeights, frameCount: number): number {
  const share = (frames: number) => Math.min(1, frames / Math.max(1, frameCount));
  return weights.counted * share(counts.counted) + weights.encoded * share(counts.encoded);
}
