import { open } from 'node:fs/promises';
import {
  DynamicImageError,
  normaliseRotation,
  type Rotation,
  type SourceProbe,
  type VideoStreamInfo,
} from '@dynamic-image/core';
import type { FfmpegBinaries } from './binaries.js';
import { FfmpegError, runFfprobe } from './ffmpeg.js';
import type { ProcessLimits } from './sandbox.js';
import type { ResolvedSource } from './source.js';
import { checkPictureBudget, checkSourceBudget, type SourceBudget } from './source-budget.js';

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string; start_time?: string };
  streams?: FfprobeStream[];
}

// Longer than any time a template can address, with room for odd timestamps.
const ABSURD_DURATION_SECONDS = 7 * 24 * 3600;

function ratio(value: string | undefined): number | null {
  if (!value) return null;
  const [num, den] = value.split(/[:/]/).map(Number);
  if (!num || !den || !Number.isFinite(num / den)) return null;
  return num / den;
}

function finite(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && value !== 'N/A' && Number.isFinite(n) ? n : null;
}

function rotationOf(stream: FfprobeStream): Rotation {
  const matrix = stream.side_data_list?.find((d) => d.side_data_type === 'Display Matrix');
  // The display matrix angle is counter-clockwise; the legacy `rotate` tag is clockwise.
  if (matrix && typeof matrix.rotation === 'number') return normaliseRotation(-matrix.rotation);
  return normaliseRotation(Number(stream.tags?.rotate ?? 0));
}

// Top-level ISO BMFF boxes: a file that starts with one is an MP4/MOV whose moov is missing,
// rather than bytes that were never a video.
const ISO_BMFF_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp']);
const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

async function readHead(source: ResolvedSource, signal?: AbortSignal): Promise<Uint8Array | null> {
  try {
    if (source.kind === 'file') {
      const handle = await open(source.input, 'r');
      try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(16), 0, 16, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    }
    const response = await fetch(source.input, {
      headers: { range: 'bytes=0-15' },
      redirect: 'error',
      signal: signal ?? null,
    });
    return new Uint8Array(await response.arrayBuffer()).subarray(0, 16);
  } catch {
    return null;
  }
}

export function looksLikeIsoBmff(head: Uint8Array | null): boolean {
  return (
    head !== null &&
    head.length >= 8 &&
    ISO_BMFF_BOXES.has(Buffer.from(head.subarray(4, 8)).toString('latin1'))
  );
}

/** Whether the first bytes are a container's signature (MP4/MOV boxes, Matroska's EBML, RIFF). */
export function looksLikeContainer(head: Uint8Array | null): boolean {
  if (head === null || head.length < 4) return false;
  const bytes = Buffer.from(head);
  return (
    looksLikeIsoBmff(head) ||
    bytes.subarray(0, 4).equals(EBML_MAGIC) ||
    bytes.subarray(0, 4).toString('latin1') === 'RIFF'
  );
}

const PLAYLIST_DEMUXERS = new Set(['hls', 'concat', 'dash', 'webm_dash_manifest', 'mpegdash', 'ffmetadata']);

const CONTAINER_FAILURE =
  /moov atom not found|EBML header parsing failed|EBML number|Invalid (RIFF|EBML)|could not find codec parameters/i;

/** Maps ffprobe's complaint about a source to the job's error code. */
export function classifyProbeFailure(
  stderr: string,
  source: ResolvedSource,
  head: Uint8Array | null = null,
): DynamicImageError {
  const text = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
  if (/not on whitelist/i.test(stderr)) {
    const demuxer = /\[(\w+) @ [^\]]*\] Format not on whitelist/.exec(stderr)?.[1];
    const what = !demuxer
      ? 'format or protocol'
      : /_pipe$|^image2/.test(demuxer)
        ? `still image (${demuxer.replace(/_pipe$/, '')})`
        : PLAYLIST_DEMUXERS.has(demuxer)
          ? `playlist (${demuxer}), which the worker never follows,`
          : `format (${demuxer})`;
    return new DynamicImageError('UNSUPPORTED_SOURCE', `The source's ${what} is not allowed: ${text}`, {
      ...(demuxer ? { format: demuxer } : {}),
    });
  }
  if (
    source.kind === 'http' &&
    /(Connection refused|Server returned|Failed to resolve|timed out|Connection reset|HTTP error|Network is unreachable|End of file)/i.test(
      stderr,
    )
  ) {
    return new DynamicImageError('SOURCE_UNREACHABLE', `The source could not be fetched: ${text}`);
  }
  if (/No such file or directory|Permission denied|Is a directory/i.test(stderr)) {
    return new DynamicImageError('SOURCE_UNREACHABLE', `The source could not be opened: ${text}`);
  }
  if (head !== null && head.length === 0) {
    return new DynamicImageError('DAMAGED_SOURCE', 'The source is empty (0 bytes)');
  }
  const size = /Picture size (\d+)x(\d+) is invalid/i.exec(stderr);
  if (size) {
    return new DynamicImageError(
      'UNSUPPORTED_SOURCE',
      `The source declares a picture of ${size[1]}x${size[2]}, larger than ffmpeg decodes`,
      { width: Number(size[1]), height: Number(size[2]) },
    );
  }
  if (CONTAINER_FAILURE.test(stderr)) {
    // A container's own parser gave up: broken if the file starts like that container, otherwise
    // the bytes were never a video (ffmpeg falls back to guessing from the file name).
    if (!looksLikeContainer(head)) {
      return new DynamicImageError('DAMAGED_SOURCE', `The source is not a readable video: ${text}`);
    }
    return new DynamicImageError('ABNORMAL_CONTAINER', `The source's container is broken: ${text}`);
  }
  return new DynamicImageError('DAMAGED_SOURCE', `The source can't be read: ${text || 'ffprobe failed'}`);
}

export function toSourceProbe(output: FfprobeOutput, budget?: SourceBudget): SourceProbe {
  const streams = output.streams ?? [];
  // Cover art in audio files is a "video" stream with attached_pic; it is not a video.
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  const formatName = output.format?.format_name ?? 'unknown';
  if (!videoStream) {
    if (hasAudio) throw new DynamicImageError('AUDIO_ONLY');
    const kinds = [...new Set(streams.map((s) => s.codec_type ?? 'unknown'))];
    throw new DynamicImageError(
      'ABNORMAL_CONTAINER',
      kinds.length
        ? `The source has no video stream, only ${kinds.join(', ')}`
        : 'The source has neither a video nor an audio stream',
      { formatName, streams: kinds },
    );
  }
  // A header promising a huge picture is refused before anything else is read from it.
  checkPictureBudget(videoStream.width ?? 0, videoStream.height ?? 0, budget);
  const duration = finite(output.format?.duration) ?? finite(videoStream.duration);
  if (duration === null || duration <= 0 || duration > ABSURD_DURATION_SECONDS) {
    throw new DynamicImageError(
      'ABNORMAL_CONTAINER',
      `The source declares an unusable duration (${duration ?? 'none'})`,
      {
        duration,
      },
    );
  }
  if (!videoStream.width || !videoStream.height) {
    throw new DynamicImageError('DAMAGED_SOURCE', 'The video stream has no picture size');
  }
  const frameCount = finite(videoStream.nb_frames);
  const video: VideoStreamInfo = {
    codec: videoStream.codec_name ?? 'unknown',
    width: videoStream.width,
    height: videoStream.height,
    rotation: rotationOf(videoStream),
    sampleAspectRatio: ratio(videoStream.sample_aspect_ratio) ?? 1,
    frameRate: ratio(videoStream.avg_frame_rate) ?? ratio(videoStream.r_frame_rate),
    frameCount,
  };
  return { formatName, duration, startTime: finite(output.format?.start_time) ?? 0, video, hasAudio };
}

export interface ProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  limits?: ProcessLimits | undefined;
  /** Checked on what the source declares, before anything decodes it. */
  budget?: SourceBudget | undefined;
}

export async function probeSource(
  binaries: FfmpegBinaries,
  source: ResolvedSource,
  options: ProbeOptions,
): Promise<SourceProbe> {
  let stdout: string;
  try {
    ({ stdout } = await runFfprobe(binaries, {
      args: [...source.inputOptions, '-show_format', '-show_streams', '-of', 'json', source.input],
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      limits: options.limits,
    }));
  } catch (err) {
    if (err instanceof FfmpegError) {
      if (err.kind === 'timeout') throw new DynamicImageError('TIMEOUT', 'Probing the source took too long');
      if (err.kind === 'aborted') throw new DynamicImageError('CANCELLED');
      const stderr = err.stderr || err.message;
      const head =
        CONTAINER_FAILURE.test(stderr) || /Invalid data found/i.test(stderr)
          ? await readHead(source, options.signal)
          : null;
      throw classifyProbeFailure(stderr, source, head);
    }
    throw err;
  }
  const probe = toSourceProbe(JSON.parse(stdout) as FfprobeOutput, options.budget);
  checkSourceBudget(probe, options.budget);
  return probe;
}
