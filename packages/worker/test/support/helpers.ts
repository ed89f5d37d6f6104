import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DynamicImageJobData, parseTemplate, type TemplateInput } from '@dynamic-image/core';
import { inject } from 'vitest';
import { resolveFfmpegBinaries } from '../../src/binaries.js';
import { deliverToFile } from '../../src/delivery.js';
import { type PipelineOptions, runPipeline } from '../../src/pipeline.js';

export const binaries = resolveFfmpegBinaries();
export const samples = inject('samples');
export const workDir = inject('workDir');

export function template(overrides: Partial<TemplateInput> = {}) {
  return parseTemplate({
    name: 'test-template',
    format: 'gif',
    fps: 10,
    captureMethod: 'byDuration',
    start: 1,
    duration: 2,
    ...overrides,
  } as TemplateInput);
}

let counter = 0;
export function jobFor(
  source: string,
  overrides: Partial<TemplateInput> = {},
  out?: string,
): DynamicImageJobData {
  const t = template(overrides);
  counter += 1;
  const jobId = `test-${process.pid}-${Date.now()}-${counter}`;
  return {
    version: 1,
    jobId,
    source: { url: source },
    template: t,
    delivery: { kind: 'file', path: out ?? join(workDir, 'out', `${jobId}.${t.format}`) },
  };
}

export async function emptyDir(prefix: string): Promise<string> {
  return mkdtemp(join(workDir, prefix));
}

export async function listDir(dir: string): Promise<string[]> {
  return readdir(dir);
}

/** An independent look at a GIF: ffprobe decodes every frame and counts them. */
export async function ffprobeFrames(
  file: string,
): Promise<{ width: number; height: number; frames: number; codec: string }> {
  const { stdout } = await promisify(execFile)(binaries.ffprobe.path, [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_frames',
    '-of',
    'json',
    file,
  ]);
  const stream = JSON.parse(stdout).streams[0];
  return {
    width: stream.width,
    height: stream.height,
    frames: Number(stream.nb_read_frames),
    codec: stream.codec_name,
  };
}

/** Child processes of this process whose command line mentions ffmpeg. */
export async function ffmpegChildren(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]);
  return stdout
    .split('\n')
    .filter((line) => /ffmpeg|ffprobe/.test(line))
    .map((l) => l.trim());
}

/**
 * Runs a job (file delivery) through the whole pipeline, as a worker would, with local sources allowed and a
 * fresh temporary folder: its result, and the delivered file's path and bytes.
 */
export async function makeToFile(job: DynamicImageJobData, options: Partial<PipelineOptions> = {}) {
  const result = await runPipeline(
    job,
    {
      binaries,
      tmpDir: await emptyDir('tmp-'),
      sourcePolicy: { allowFile: true },
      timeoutSeconds: 120,
      ...options,
    },
    async (output) => {
      await deliverToFile(job, output);
      return output.result;
    },
  );
  if (job.delivery.kind !== 'file') throw new Error('file delivery expected');
  return { result, path: job.delivery.path, bytes: await readFile(job.delivery.path) };
}
