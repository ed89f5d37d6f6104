import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DynamicImageJobData } from '@dynamic-image/core';
import { DynamicImageError } from '@dynamic-image/core';
import type { PipelineOutput } from './pipeline.js';

/**
 * Writes the verified file to the job's destination. Copy then rename, so a reader never sees
 * half a file and a retried job replaces its own result instead of adding a second one.
 */
export async function deliverToFile(job: DynamicImageJobData, output: PipelineOutput): Promise<void> {
  if (job.delivery.kind !== 'file')
    throw new DynamicImageError('INVALID_JOB', 'delivery.kind must be file here');
  const target = job.delivery.path;
  const partial = `${target}.${job.jobId}.partial`;
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
