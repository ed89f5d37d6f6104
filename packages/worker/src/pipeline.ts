import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  containerLoopCount,
  DEFAULT_PLAN_BUDGET,
  DynamicImageError,
  type DynamicImageJobData,
  type DynamicImagePlan,
  type DynamicImageResult,
  effectiveBudget,
  JOB_CONTRACT_VERSION,
  type JobProgress,
  nextBudgetAttempt,
  type PlanBudget,
  pathInFolder,
  planDynamicImage,
  playsFromContainer,
} from '@dynamic-image/core';
import { AnimationFormatError, type AnimationInfo, inspectAnimation } from './animation.js';
import type { FfmpegBinaries } from './binaries.js';
import {
  buildEncodeRuns,
  buildFrameRun,
  DEFAULT_ENCODE_SETTINGS,
  type EncodeSettings,
  type SeekMode,
} from './encode.js';
import { type EncodePlan, encoderReport, withAvailableBackend } from './encoder-choice.js';
import { FfmpegError, runFfmpeg } from './ffmpeg.js';
import { libvipsGifWriter, OutputTooLarge } from './gif-libvips.js';
import { type OptimizeOutcome, optimizeGif } from './gif-optimize.js';
import { autoStart } from './highlight.js';
import { ffmpegSizeLimit, watchOutputSize } from './output-cap.js';
import { probeSource } from './probe.js';
import { runFraction } from './progress.js';
import type { ProcessLimits } from './sandbox.js';
import { budgetUnreachable, firstBudgetAttempt, planBudgetAttempt } from './size-budget.js';
import { checkSourceAddress, resolveSource, type SourcePolicy } from './source.js';
import type { SourceBudget } from './source-budget.js';
import { openSource, type SourceGateway } from './source-gateway.js';
import { animateStillWebp } from './webp-still.js';

export interface PipelineOptions {
  binaries: FfmpegBinaries;
  tmpDir: string;
  sourcePolicy: SourcePolicy;
  /** Used when the job doesn't carry its own timeoutSeconds. */
  timeoutSeconds: number;
  encodeSettings?: EncodeSettings;
  /** This worker's cost ceiling (default DEFAULT_PLAN_BUDGET); a job's own budget can only lower it. */
  budget?: PlanBudget;
  /** Memory and CPU limits of each ffmpeg/ffprobe process (sandbox.ts). */
  limits?: ProcessLimits | undefined;
  /** What a source may declare at probe (source-budget.ts). */
  sourceBudget?: SourceBudget | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: JobProgress) => void) | undefined;
}

export interface PipelineOutput {
  result: DynamicImageResult;
  plan: DynamicImagePlan;
  /** The verified file; it lives in a temporary folder that is removed when `use` returns. */
  file: string;
}

// Signs in ffmpeg's log that the source itself is broken, rather than the encode.
const DAMAGE_PATTERN =
  /(Invalid data found|partial file|error while decoding|corrupt|Invalid NAL|missing picture|concealing|moov atom not found|Cannot determine format of input stream)/i;

function stageProgress(stage: JobProgress['stage'], fraction: number): number {
  const spans: Record<JobProgress['stage'], [number, number]> = {
    fetch: [0, 2],
    probe: [2, 5],
    encode: [5, 92],
    verify: [92, 96],
    deliver: [96, 100],
  };
  const [from, to] = spans[stage];
  return Math.round(from + (to - from) * Math.min(1, Math.max(0, fraction)));
}

function encodeFailure(err: FfmpegError, deadlinePassed: boolean): DynamicImageError {
  if (err.kind === 'timeout' || (err.kind === 'aborted' && deadlinePassed)) {
    return new DynamicImageError('TIMEOUT', 'Encoding ran past the time limit; ffmpeg was stopped');
  }
  if (err.kind === 'aborted') return new DynamicImageError('CANCELLED');
  const tail = err.stderr.trim().split('\n').slice(-4).join(' ').slice(0, 600);
  if (/No space left on device/i.test(err.stderr)) {
    return new DynamicImageError('STORAGE_UNAVAILABLE', `The worker's temporary folder is full: ${tail}`);
  }
  if (DAMAGE_PATTERN.test(err.stderr))
    return new DynamicImageError('DAMAGED_SOURCE', `The source can't be decoded: ${tail}`);
  return new DynamicImageError('ENCODE_FAILED', `ffmpeg failed: ${tail}`);
}

/** Checks the encoded file against the plan: format, size, loop, frame count and duration. */
export function verifyAnimation(info: AnimationInfo, plan: DynamicImagePlan, stderr: string): void {
  const problems: string[] = [];
  if (info.format !== plan.format) problems.push(`format ${info.format}, expected ${plan.format}`);
  if (info.width !== plan.geometry.width || info.height !== plan.geometry.height) {
    problems.push(
      `size ${info.width}x${info.height}, expected ${plan.geometry.width}x${plan.geometry.height}`,
    );
  }
  const loop = containerLoopCount(plan.format, plan.loopCount);
  if (info.loopCount !== loop) {
    const plays = plan.loopCount === 0 ? 'forever' : `${plan.loopCount} plays`;
    problems.push(`loop count ${info.loopCount ?? 'absent'}, expected ${loop ?? 'absent'} (${plays})`);
  }
  const expected = plan.timing.frameCount;
  // libwebp merges identical consecutive frames into one longer frame, so WebP may hold fewer.
  const minFrames = plan.format === 'gif' ? expected - 1 : 1;
  if (info.frameCount < Math.max(1, minFrames) || info.frameCount > expected + 1) {
    problems.push(`${info.frameCount} frames, expected about ${expected}`);
  }
  const toleranceMs = plan.timing.averageDelayMs + 10;
  // What one play lasts: the window over the speed, twice less a frame each way for a boomerang.
  const durationMs = plan.timing.playSeconds * 1000;
  if (Math.abs(info.durationMs - durationMs) > toleranceMs) {
    problems.push(`plays ${info.durationMs} ms, expected ${Math.round(durationMs)} ms`);
  }
  if (problems.length === 0) return;
  const message = `The output failed verification: ${problems.join('; ')}`;
  // The window lies inside the duration the source declares; media that stops short of it means
  // the file was cut or damaged, whatever ffmpeg logged.
  const endedEarly = info.durationMs < durationMs - toleranceMs || info.frameCount < minFrames;
  if (endedEarly || DAMAGE_PATTERN.test(stderr)) {
    throw new DynamicImageError('DAMAGED_SOURCE', `The source ends early or is damaged. ${message}`, {
      problems,
    });
  }
  throw new DynamicImageError('OUTPUT_INVALID', message, { problems });
}

// A job's folder is named after the host and process that made it, so a worker starting later can
// tell the folders of a process that died (kill -9, OOM) from those of a live one, and remove them.
const JOB_DIR_PREFIX = 'dynamic-image-job-';
const jobDirPrefix = () => `${JOB_DIR_PREFIX}${hostname().replace(/[^A-Za-z0-9.]/g, '_')}-${process.pid}-`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes job folders left in `root` by dead worker processes of this host; returns how many.
 * Folders of other hosts (a shared volume) and of live processes are left alone.
 */
export async function removeStaleJobDirs(root: string): Promise<number> {
  const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
  const pattern = new RegExp(`^${JOB_DIR_PREFIX}${host.replace(/\./g, '\\.')}-(\\d+)-`);
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
    removed++;
  }
  return removed;
}

async function makeTempDir(root: string): Promise<string> {
  try {
    return await mkdtemp(join(root, jobDirPrefix()));
  } catch (err) {
    throw new DynamicImageError(
      'STORAGE_UNAVAILABLE',
      `The temporary folder ${root} is not writable: ${(err as Error).message}`,
    );
  }
}

/**
 * Probe, plan, encode and verify one job, then hand the verified file to `use` (delivery)
 * before the temporary folder is removed. Every failure is a DynamicImageError with a code.
 */
export async function runPipeline<T>(
  job: DynamicImageJobData,
  options: PipelineOptions,
  use: (output: PipelineOutput) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const timeoutMs = (job.timeoutSeconds ?? options.timeoutSeconds) * 1000;
  const deadline = Date.now() + timeoutMs;
  const deadlineController = new AbortController();
  const deadlineTimer = setTimeout(() => deadlineController.abort(), timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([options.signal, deadlineController.signal])
    : deadlineController.signal;
  const remaining = () => Math.max(1, deadline - Date.now());
  let last: JobProgress | null = null;
  const report = (stage: JobProgress['stage'], fraction: number) => {
    const percent = stageProgress(stage, fraction);
    // ffmpeg's counts come for every frame; only a change is news.
    if (last?.stage === stage && last.percent === percent) return;
    last = { jobId: job.jobId, stage, percent };
    options.onProgress?.(last);
  };
  const settings = options.encodeSettings ?? DEFAULT_ENCODE_SETTINGS;

  const dir = await makeTempDir(options.tmpDir);
  let gateway: SourceGateway | null = null;
  try {
    report('fetch', 0);
    const resolved = resolveSource(job.source.url, options.sourcePolicy);
    await checkSourceAddress(resolved, options.sourcePolicy);
    gateway = await openSource(resolved, options.sourcePolicy);
    const { source } = gateway;
    const fetchMs = performance.now() - started;

    report('probe', 0);
    const probeStarted = performance.now();
    const probe = await probeSource(options.binaries, source, {
      timeoutMs: remaining(),
      signal,
      limits: options.limits,
      budget: options.sourceBudget,
    }).catch((err) => {
      if (err instanceof DynamicImageError && err.code === 'CANCELLED' && deadlineController.signal.aborted) {
        throw new DynamicImageError('TIMEOUT', 'Probing ran past the time limit');
      }
      throw err;
    });
    const budget = effectiveBudget(options.budget ?? DEFAULT_PLAN_BUDGET, job.budget);
    const auto = job.template.start === 'auto';
    const start = auto
      ? await autoStart(options.binaries, source, probe, job, {
          timeoutMs: remaining(),
          signal,
          limits: options.limits,
        }).catch((err) => {
          throw err instanceof FfmpegError ? encodeFailure(err, deadlineController.signal.aborted) : err;
        })
      : job.template.start;
    const template = { ...job.template, start };
    let plan = await withAvailableBackend(
      planDynamicImage(template, probe, budget, job.maxWindowSeconds),
      job.template,
    );
    if (auto) plan.window = { ...plan.window, auto: true };
    const probeMs = performance.now() - probeStarted;

    // Fixed names inside the job's own folder: nothing a job carries becomes part of a path.
    const file = pathInFolder(dir, `output.${plan.format}`);
    let encodeMs = 0;
    let verifyMs = 0;
    let optimized: OptimizeOutcome | undefined;
    const encodeWindow = async (plan: EncodePlan, seek: SeekMode) => {
      report('encode', 0);
      optimized = undefined;
      const encodeStarted = performance.now();
      const { runs } =
        plan.encoder.backend === 'libvips'
          ? {
              runs: [
                {
                  ...buildFrameRun(source, plan, settings, seek),
                  readOutput: libvipsGifWriter(
                    {
                      ...plan.geometry,
                      fps: plan.timing.fps,
                      frameCount: plan.timing.frameCount,
                      loop: plan.loopCount,
                      file,
                      maxOutputBytes: budget.maxOutputBytes,
                      signal,
                    },
                    plan.encoder.settings,
                    settings.chunks,
                  ).readOutput,
                },
              ],
            }
          : buildEncodeRuns(source, plan, file, pathInFolder(dir, 'palette.png'), settings, seek);
      let stderr = '';
      const output = watchOutputSize(file, budget.maxOutputBytes);
      const tooLarge = () =>
        new DynamicImageError(
          'OUTPUT_TOO_LARGE',
          `The output passed ${budget.maxOutputBytes} bytes (maxOutputBytes; ${output.largest()} bytes written); ffmpeg was stopped`,
          { bytes: output.largest(), maxOutputBytes: budget.maxOutputBytes },
        );
      try {
        for (const [index, { progress, ...run }] of runs.entries()) {
          try {
            ({ stderr } = await runFfmpeg(options.binaries, {
              ...run,
              // The run that writes the output stops itself at the cap (a palette pass writes elsewhere).
              outputOptions:
                run.output === file
                  ? [...run.outputOptions, ...ffmpegSizeLimit(budget.maxOutputBytes)]
                  : run.outputOptions,
              timeoutMs: remaining(),
              signal: AbortSignal.any([signal, output.signal]),
              limits: options.limits,
              onFrames: (frames) =>
                report(
                  'encode',
                  (index + runFraction(frames, progress, plan.timing.frameCount)) / runs.length,
                ),
            }));
          } catch (err) {
            if (output.signal.aborted || err instanceof OutputTooLarge) throw tooLarge();
            if (err instanceof FfmpegError) throw encodeFailure(err, deadlineController.signal.aborted);
            throw err;
          }
        }
        if (await output.check()) throw tooLarge();
        if (
          plan.encoder.backend === 'ffmpeg' &&
          plan.encoder.format === 'gif' &&
          plan.encoder.settings.optimize
        ) {
          optimized = await optimizeGif(options.binaries.gifsicle, file, {
            timeoutMs: remaining(),
            signal,
            limits: options.limits,
          });
          if (signal.aborted) {
            throw deadlineController.signal.aborted
              ? new DynamicImageError('TIMEOUT', 'Encoding ran past the time limit; gifsicle was stopped')
              : new DynamicImageError('CANCELLED');
          }
        }
      } finally {
        output.stop();
        encodeMs += performance.now() - encodeStarted;
      }

      report('verify', 0);
      const verifyStarted = performance.now();
      let bytes: Uint8Array = await readFile(file);
      // A window where nothing moves comes out of libwebp as a still file: made an animation again.
      const still =
        plan.format === 'webp'
          ? animateStillWebp(
              bytes,
              plan.timing.playSeconds * 1000,
              containerLoopCount('webp', plan.loopCount) ?? 0,
            )
          : null;
      if (still) {
        bytes = still;
        await writeFile(file, bytes);
      }
      let info: AnimationInfo;
      try {
        // The window lies inside the declared duration, so no frame at all means the media isn't there.
        if (bytes.length === 0 || /Output file is empty|nothing was encoded/i.test(stderr)) {
          throw new DynamicImageError('DAMAGED_SOURCE', 'The window of the source holds no decodable frame');
        }
        info = inspectAnimation(bytes);
      } catch (err) {
        if (err instanceof AnimationFormatError) {
          throw new DynamicImageError(
            'OUTPUT_INVALID',
            `The output is not a valid ${plan.format}: ${err.message}`,
          );
        }
        throw err;
      }
      verifyAnimation(info, plan, stderr);
      verifyMs = performance.now() - verifyStarted;
      return { bytes, info };
    };
    let seek: SeekMode = 'input';
    const encodeOnce = async (plan: EncodePlan) => {
      try {
        return await encodeWindow(plan, seek);
      } catch (err) {
        // Input seeking lands past the only key frame of some sources (MPEG-TS has no index): no frame, or
        // too few. Decoding from the start reaches the window whatever the key frames; a source that is
        // really damaged fails again, with its own reason.
        const unreached = err instanceof DynamicImageError && err.code === 'DAMAGED_SOURCE';
        if (!unreached || plan.window.start === 0 || seek === 'decode') throw err;
        seek = 'decode';
        return await encodeWindow(plan, seek);
      }
    };
    let encoded = await encodeOnce(plan);
    // A size budget: encoded again with less (quality, then fps, then size) while the file is over it,
    // each attempt chosen by core from the bytes measured; verified against the attempt's own plan.
    const maxBytes = job.template.maxBytes;
    let attempt = firstBudgetAttempt(plan, template);
    let attempts = 1;
    let smallest = { bytes: encoded.bytes.length, attempt };
    while (maxBytes !== undefined && encoded.bytes.length > maxBytes) {
      const next = nextBudgetAttempt(attempt, encoded.bytes.length, maxBytes, attempts);
      if (!next) throw budgetUnreachable(maxBytes, attempts, smallest);
      attempt = next;
      plan = await planBudgetAttempt(job, template, attempt, probe, budget, plan.window);
      encoded = await encodeOnce(plan);
      attempts++;
      if (encoded.bytes.length < smallest.bytes) smallest = { bytes: encoded.bytes.length, attempt };
    }
    const { bytes, info } = encoded;
    const encoder = encoderReport(plan, job.template, settings, optimized);
    if (maxBytes !== undefined) encoder.budget = { maxBytes, attempts, lowered: attempt.lowered };

    const result: DynamicImageResult = {
      version: JOB_CONTRACT_VERSION,
      jobId: job.jobId,
      format: plan.format,
      width: info.width,
      height: info.height,
      fps: plan.timing.fps,
      frameCount: info.frameCount,
      duration: info.durationMs / 1000,
      bytes: bytes.length,
      loop: playsFromContainer(plan.format, info.loopCount),
      speed: plan.timing.speed,
      boomerang: plan.timing.boomerang,
      window: plan.window,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      encoder,
      timings: {
        fetchMs: Math.round(fetchMs),
        probeMs: Math.round(probeMs),
        encodeMs: Math.round(encodeMs),
        verifyMs: Math.round(verifyMs),
        totalMs: Math.round(performance.now() - started),
      },
    };
    report('deliver', 0);
    const delivered = await use({ result, plan, file });
    report('deliver', 1);
    return delivered;
  } catch (err) {
    // A refused redirect, an oversized or stalled source: ffmpeg only saw the gateway hang up, so
    // the gateway's reason is the job's reason (a deadline that passed first stays TIMEOUT).
    const violation = gateway?.violation();
    const stopped = err instanceof DynamicImageError && (err.code === 'TIMEOUT' || err.code === 'CANCELLED');
    if (violation && !stopped) throw violation;
    throw err;
  } finally {
    clearTimeout(deadlineTimer);
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
