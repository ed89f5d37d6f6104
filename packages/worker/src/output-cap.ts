// The byte cap on a job's output: ffmpeg writes the file, the worker looks at its size while it runs and
// stops ffmpeg once it passes the cap, so a source that compresses far worse than planned (noise, grain
// at a high frame rate) can't fill the disk or the CMS. The overshoot is what ffmpeg writes in one interval.
import { stat } from 'node:fs/promises';

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
