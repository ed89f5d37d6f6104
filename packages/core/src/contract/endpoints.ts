// Where a worker reaches the CMS. A job's delivery URL is where its result goes; progress and
// failures go to fixed suffixes of it. The plugin registers its routes and builds delivery URLs from
// these same functions, so the two sides can't drift apart.

/** Strapi's content-API prefix and the plugin's name: every plugin route lives under it. */
export const PLUGIN_API_PREFIX = '/api/dynamic-image';

export type WorkerReport = 'result' | 'progress' | 'failure';

/** Paths of the CMS endpoints a worker calls, under the job's delivery URL. */
export const WORKER_ENDPOINTS = {
  result: '',
  progress: '/progress',
  failure: '/failure',
} as const satisfies Record<WorkerReport, string>;

const jobBase = (jobId: string) => `/worker/jobs/${jobId}`;
const previewBase = (previewId: string) => `/worker/previews/${previewId}`;

/**
 * Paths under PLUGIN_API_PREFIX. Called with a route parameter (`':jobId'`) they are the plugin's
 * route patterns; called with an id (a UUID), the path a worker posts to.
 */
export const workerEndpoints = {
  jobResult: (jobId: string) => jobBase(jobId) + WORKER_ENDPOINTS.result,
  jobProgress: (jobId: string) => jobBase(jobId) + WORKER_ENDPOINTS.progress,
  jobFailure: (jobId: string) => jobBase(jobId) + WORKER_ENDPOINTS.failure,
  previewResult: (previewId: string) => previewBase(previewId) + WORKER_ENDPOINTS.result,
  previewProgress: (previewId: string) => previewBase(previewId) + WORKER_ENDPOINTS.progress,
  previewFailure: (previewId: string) => previewBase(previewId) + WORKER_ENDPOINTS.failure,
} as const;

/** The delivery URL the plugin puts in a job: where the worker posts the result. */
export function deliveryUrl(publicUrl: string, resultPath: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${PLUGIN_API_PREFIX}${resultPath}`;
}

/** Where a worker sends a report of a job whose delivery URL is `url`. */
export function reportUrl(url: string, report: WorkerReport): URL {
  return new URL(url + WORKER_ENDPOINTS[report]);
}
