// Bodies of the plugin's HTTP API as both sides see them: the server builds them and the admin reads them
// (admin/src/utils/api.ts re-exports these types). Types only: nothing here runs, so the admin's bundle
// takes nothing from the server.
import type { OverrideParams } from '@dynamic-image/core';

/** POST /jobs (VOD's SubmitDynamicImageJob): one template, with optional overrides, on one video. */
export interface SubmitJobRequest {
  videoId: number;
  templateId: string;
  /** Checked with core's `applyOverrides`, on the server as in the admin's form. */
  overrideParams?: OverrideParams;
  /** Make it again even where the same content and resolved template already have a job. */
  force?: boolean;
}

export interface DynamicImage {
  dynamicImageId: number;
  jobId: string;
  videoId: number;
  templateId: string;
  fileId: number | null;
  /** The Media Library file's URL, as Strapi gives it (relative for the local provider). */
  url: string | null;
  format: string;
  width: number;
  height: number;
  duration: number;
  fps: number;
  frameCount: number;
  size: number;
  isCover: boolean;
  createdAt: string;
}

/**
 * A failure the video still has: of the jobs that ran one template on it, the latest, when it failed. A retry,
 * or any later job of that template, closes it.
 */
export interface VideoFailure {
  jobId: string;
  templateId: string;
  origin: string;
  errorCode: string | null;
  errorMessage: string | null;
  finishedAt: string | null;
}

/** One video of GET /videos (the admin's Videos page). */
export interface Video {
  videoId: number;
  name: string;
  url: string;
  mime: string;
  size: number;
  createdAt: string;
  folder: { id: number; name: string } | null;
  /** Absolute, like the webhook's FileURL; null when the video has no cover. */
  coverUrl: string | null;
  dynamicImages: DynamicImage[];
  runningJobs: number;
  failedJobs: VideoFailure[];
}

export interface Pagination {
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
}

export interface VideoList {
  videos: Video[];
  pagination: Pagination;
}

/** `details` of the refusal to delete a template still in use: what uses it, by id and by name. */
export interface TemplateInUse {
  workflows?: Array<{ workflowId: string; name: string }>;
  autoThumbnails?: Array<{ uid: string; name: string }>;
}

/** One row of the usage report: a month's outputs of one template in one workflow (or none). */
export interface UsageRow {
  /** `YYYY-MM`, the month the jobs ended in. */
  month: string;
  templateId: string | null;
  /** The template's name now; null once it is deleted. */
  templateName: string | null;
  /** Null for jobs not started by a workflow (one-offs, API jobs, retries of those). */
  workflowId: string | null;
  workflowName: string | null;
  /** Successful jobs: each is an output of its own, a sharing one included. */
  outputs: number;
  /** Of those, the jobs that ran their encode (not sharing another job's). */
  encodes: number;
  /** The outputs' seconds (the result's duration), in all and by resolution class. */
  seconds: number;
  secondsByClass: Record<string, number>;
  outputsByClass: Record<string, number>;
  bytes: number;
}

/** The usage report for months `from` to `to`, both included. */
export interface UsageReport {
  from: string;
  to: string;
  /** The resolution classes, smallest first (core's `RESOLUTION_CLASSES`). */
  classes: string[];
  rows: UsageRow[];
  totals: Omit<UsageRow, 'month' | 'templateId' | 'templateName' | 'workflowId' | 'workflowName'>;
}
