import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { DynamicImageJobData } from '@dynamic-image/core';
import { DynamicImageError, pathInFolder } from '@dynamic-image/core';
import type { PipelineOutput } from './pipeline.js';

/**
 * Writes the verified file to the job's destination. Copy then rename, so a reader never sees
 * half a file and a retried job replaces its own result instead of adding a second one.
 */
export async function deliverToFile(job: DynamicImageJobData, output: PipelineOutput): Promise<void> {
  if (job.delivery.kind !== 'file')
    throw new DynamicImageError('INVALID_JOB', 'delivery.kind must be file here');
  const target = job.delivery.path;
  let partial: string;
  try {
    // Next to the target, whatever the job id holds: a `/` in it must not move the partial file.
    partial = pathInFolder(dirname(target), `${basename(target)}.${job.jobId}.partial`);
  } catch (err) {
    throw new DynamicImageError('INVALID_JOB', (err as Error).message);
  }
  try {
    await mkdir(dirname(target), { recursive: true });
    await copyFile(output.file, partial);
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true }).catch(() => {});
    throw new DynamicImageError(
      'STORAGE_UNAVAILABLE',
      `Could not write the result to ${target}: ${(err as Error).message}`,
    );
  }
}
