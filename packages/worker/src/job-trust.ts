// What a worker accepts from a job in the queue. Anyone who can write a row into the queue can
// write a payload, so the payload does not choose where the result goes: a file delivery must land
// inside the worker's configured folder, an HTTP delivery must go to the configured CMS.
import { resolve, sep } from 'node:path';
import { DynamicImageError, type DynamicImageJobData } from '@dynamic-image/core';

export interface DeliveryPolicy {
  /** The CMS's public URL; HTTP deliveries must go to its origin. */
  cmsUrl?: string | undefined;
  /** File deliveries must land inside this folder; unset: they are refused. */
  fileDeliveryDir?: string | undefined;
}

/** Whether the job's HTTP delivery goes to the configured CMS (so results, progress and failures may be sent). */
export function deliversToCms(job: DynamicImageJobData, policy: DeliveryPolicy): boolean {
  if (job.delivery.kind !== 'http' || !policy.cmsUrl) return false;
  try {
    return new URL(job.delivery.url).origin === new URL(policy.cmsUrl).origin;
  } catch {
    return false;
  }
}

/** Throws INVALID_JOB when the job's delivery is not one this worker was configured for. */
export function checkDelivery(job: DynamicImageJobData, policy: DeliveryPolicy): void {
  if (job.delivery.kind === 'file') {
    if (!policy.fileDeliveryDir) {
      throw new DynamicImageError(
        'INVALID_JOB',
        'This worker does not write results to files named by jobs (set DYNAMIC_IMAGE_FILE_DELIVERY_DIR to allow a folder)',
      );
    }
    const root = resolve(policy.fileDeliveryDir);
    const target = resolve(job.delivery.path);
    if (!target.startsWith(root + sep)) {
      throw new DynamicImageError(
        'INVALID_JOB',
        "The job's output path is outside this worker's file delivery folder",
      );
    }
    return;
  }
  if (!deliversToCms(job, policy)) {
    throw new DynamicImageError(
      'INVALID_JOB',
      policy.cmsUrl
        ? "The job's delivery URL is not on this worker's CMS"
        : 'This worker has no CMS URL, so it delivers nothing over HTTP',
    );
  }
}
