// Automatic highlight (`start: "auto"`): one cheap ffmpeg pass measures the source (scene score and
// average luma, a few small frames a second), and core's chooseHighlight picks the window from them.
import type { Readable } from 'node:stream';
import {
  type ActionSample,
  chooseHighlight,
  DynamicImageError,
  type DynamicImageJobData,
  HIGHLIGHT_LIMITS,
  type HighlightChoice,
  type SourceProbe,
} from '@dynamic-image/core';
import type { FfmpegBinaries } from './binaries.js';
import { runFfmpeg } from './ffmpeg.js';
import type { ProcessLimits } from './sandbox.js';
import type { ResolvedSource } from './source.js';

/** What the metadata printer may write (about 830 bytes a sample; the analysis makes at most 2,400). */
const MAX_REPORT_BYTES = 8 * 1024 * 1024;

/**
 * The analysis graph: sampled and shrunk first so the rest is cheap, luma from signalstats, the scene
 * score from select (which computes it only when its expression asks), every frame's metadata printed
 * to file descriptor 3 (`pipe\:3`, escaped once for the option and once for the graph).
 */
export const ANALYSIS_FILTER = [
  `fps=${HIGHLIGHT_LIMITS.sampleRate}`,
  `scale=${HIGHLIGHT_LIMITS.sampleWidth}:-2`,
  'format=gray',
  'signalstats',
  "select='gte(scene\\,0)'",
  'metadata=mode=print:file=pipe\\\\\\:3',
].join(',');

/** The samples in ffmpeg's metadata print: a `frame:N` line, then that frame's `key=value` lines. */
export function parseActionSamples(report: string): ActionSample[] {
  const samples: ActionSample[] = [];
  let current: ActionSample | null = null;
  for (const line of report.split('\n')) {
    if (line.startsWith('frame:')) {
      current = { scene: 0, luma: 0 };
      samples.push(current);
      continue;
    }
    if (!current) continue;
    const [key, value] = line.trim().split('=');
    const number = Number(value);
    if (!Number.isFinite(number)) continue;
    if (key === 'lavfi.scene_score') current.scene = number;
    else if (key === 'lavfi.signalstats.YAVG') current.luma = number;
  }
  return samples;
}

async function readBounded(output: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of output) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_REPORT_BYTES) {
      throw new DynamicImageError(
        'ENCODE_FAILED',
        `The highlight analysis wrote over ${MAX_REPORT_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface HighlightRun {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  limits?: ProcessLimits | undefined;
}

/**
 * The start of the most active `duration` seconds of the source, chosen within its first
 * HIGHLIGHT_LIMITS.maxAnalysisSeconds. A window as long as the source starts at 0 without analysis.
 * ffmpeg failures come out as FfmpegError, for the pipeline to name.
 */
export async function findHighlight(
  binaries: FfmpegBinaries,
  source: ResolvedSource,
  sourceDuration: number,
  duration: number,
  run: HighlightRun,
): Promise<HighlightChoice> {
  const span = Math.min(sourceDuration, HIGHLIGHT_LIMITS.maxAnalysisSeconds);
  if (duration >= span) return { start: 0, action: 0 };
  let report = '';
  await runFfmpeg(binaries, {
    inputs: [
      {
        source: source.input,
        options: [...source.inputOptions, '-t', String(HIGHLIGHT_LIMITS.maxAnalysisSeconds)],
      },
    ],
    outputOptions: ['-an', '-sn', '-dn', '-vf', ANALYSIS_FILTER, '-f', 'null'],
    output: '-',
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    limits: run.limits,
    readOutput: async (output) => {
      report = await readBounded(output);
    },
  });
  return chooseHighlight(parseActionSamples(report), HIGHLIGHT_LIMITS.sampleRate, span, duration);
}

/**
 * The start a `start: "auto"` job is planned with: its window's length (a preview's cut included) placed
 * on the action, read through the job's gateway (`source`) like every other pass over the source.
 */
export async function autoStart(
  binaries: FfmpegBinaries,
  source: ResolvedSource,
  probe: SourceProbe,
  job: Pick<DynamicImageJobData, 'template' | 'maxWindowSeconds'>,
  run: HighlightRun,
): Promise<number> {
  // Without a video stream there is nothing to measure: planning then says AUDIO_ONLY.
  if (!probe.video) return 0;
  const duration = Math.min(
    job.template.duration ?? probe.duration,
    job.maxWindowSeconds ?? Number.POSITIVE_INFINITY,
  );
  return (await findHighlight(binaries, source, probe.duration, duration, run)).start;
}
