// The byte cap on a job's output, so a source that compresses far worse than planned (noise, grain at a
// high frame rate) can't fill the disk or the CMS. Two parts:
// - ffmpeg's own -fs: it stops writing once the file passes the cap, between two packets. A poll alone
//   raced: the single-pass GIF graph (split → palettegen → paletteuse) writes nothing until palettegen has
//   seen the last frame, then the whole file in well under a second (measured with ffmpeg 5.1 on 6 s of
//   320×240 noise: 11.6 MB in 0.7 s, passing the cap at the estimate about 0.15 s before the end), so one
//   late look of a 100 ms poll on a busy machine saw only the finished file.
// - the watcher below, for what -fs can't stop: an encoder that hands the whole file to the muxer in one
//   packet (libwebp_anim), which ffmpeg checks only after writing it, and a look after ffmpeg ends.
import { stat } from 'node:fs/promises';

/**
 * ffmpeg output options that make it stop writing once the file passes `maxBytes` (it finishes the file
 * at the first packet boundary past the limit: over the cap by at most one packet and the trailer).
 * The file then is over the cap, which the watcher's last look turns into OUTPUT_TOO_LARGE.
 */
export function ffmpegSizeLimit(maxBytes: number): string[] {
  return ['-fs', String(maxBytes + 1)];
}

export interface OutputWatch {
  /** Aborted once the file passed the cap. */
  signal: AbortSignal;
  /** The largest size seen, in bytes. */
  largest(): number;
  /** Looks once more (ffmpeg may have ended between two looks); true when the file is over the cap. */
  check(): Promise<boolean>;
  stop(): void;
}

export const OUTPUT_WATCH_INTERVAL_MS = 100;

export function watchOutputSize(
  file: string,
  maxBytes: number,
  intervalMs = OUTPUT_WATCH_INTERVAL_MS,
): OutputWatch {
  const controller = new AbortController();
  let largest = 0;
  const look = async () => {
    // Not there yet (ffmpeg opens it after probing its input): nothing to measure.
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    largest = Math.max(largest, size);
    if (largest > maxBytes && !controller.signal.aborted) controller.abort();
    return largest > maxBytes;
  };
  const timer = setInterval(() => void look(), intervalMs);
  return {
    signal: controller.signal,
    largest: () => largest,
    check: look,
    stop: () => clearInterval(timer),
  };
}
