// The pg-boss side of the seam: queue names, the settings every creator of a queue uses (the CMS,
// a worker, `dynamic-image send`), and the database session names that tell workers apart.

export const QUEUE_NAMES = {
  jobs: 'dynamic-image.jobs',
  deadLetter: 'dynamic-image.jobs.dead',
} as const;

/** Queue settings used by whichever side creates the queue first; a worker may choose others then. */
export const QUEUE_DEFAULTS = {
  retryLimit: 2,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 15 * 60,
  heartbeatSeconds: 30,
  /**
   * How often each pg-boss instance (CMS or worker) looks for jobs whose heartbeat stopped; pg-boss's
   * own 60 s would leave a dead worker's job waiting up to a minute more.
   */
  superviseIntervalSeconds: 10,
} as const;

/** The job queue's settings a worker may choose, when it is the one that creates the queue. */
export interface JobQueueTuning {
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  heartbeatSeconds: number;
}

/** How long a dead job waits in the dead-letter queue for the CMS to record its failure. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * The heartbeat of jobs the CMS works itself (dead letters, event deliveries), pg-boss's minimum. A
 * handler that ends while the database is away can't settle its job, which then stays active; with a
 * heartbeat it is retried about this long after the handler stopped beating, not at its expiry.
 */
export const CMS_CLAIM_HEARTBEAT_SECONDS = 10;

/**
 * The dead-letter queue: recording a job's failure is quick and idempotent, so it is retried with
 * backoff for hours (through a database outage) and its claim is held by a heartbeat.
 */
const DEAD_LETTER_OPTIONS = {
  retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
  retryLimit: 20,
  retryDelay: 5,
  retryBackoff: true,
  retryDelayMax: 600,
  heartbeatSeconds: CMS_CLAIM_HEARTBEAT_SECONDS,
} as const;

/**
 * The queues and the pg-boss options each is created with, dead-letter first (a queue must exist
 * before another names it). A queue that already exists is never changed: its settings were chosen
 * when it was made, and a later sender or worker must not overwrite them.
 */
export function queueOptions(tuning: Partial<JobQueueTuning> = {}) {
  const given = (key: keyof JobQueueTuning) => tuning[key] ?? QUEUE_DEFAULTS[key];
  const t = Object.fromEntries(TUNING_KEYS.map((key) => [key, given(key)])) as unknown as JobQueueTuning;
  return [
    { name: QUEUE_NAMES.deadLetter, options: DEAD_LETTER_OPTIONS },
    {
      name: QUEUE_NAMES.jobs,
      options: {
        retryLimit: t.retryLimit,
        retryDelay: t.retryDelaySeconds,
        retryBackoff: t.retryBackoff,
        expireInSeconds: t.expireInSeconds,
        heartbeatSeconds: t.heartbeatSeconds,
        deadLetter: QUEUE_NAMES.deadLetter,
        notify: true,
      },
    },
  ] as const;
}

const TUNING_KEYS = [
  'retryLimit',
  'retryDelaySeconds',
  'retryBackoff',
  'expireInSeconds',
  'heartbeatSeconds',
] as const satisfies ReadonlyArray<keyof JobQueueTuning>;

/** How long past its time limit pg-boss lets a job run: time for the worker to kill ffmpeg and report. */
export const EXPIRY_MARGIN_SECONDS = 60;

/**
 * The pg-boss expiry of a job with this time limit, sent with each job: the job times out (`TIMEOUT`,
 * reported by its worker) before pg-boss expires it, whatever the limit.
 */
export function jobExpireInSeconds(timeoutSeconds: number): number {
  return Math.ceil(timeoutSeconds) + EXPIRY_MARGIN_SECONDS;
}

/** Postgres `application_name`s: the CMS's status page counts workers by theirs. */
export const SESSION_NAMES = {
  cms: 'dynamic-image-cms',
  cli: 'dynamic-image-cli',
  workerPrefix: 'dynamic-image-worker',
} as const;

/** A LIKE pattern matching every worker's session name and nothing else. */
export const WORKER_SESSION_PATTERN = `${SESSION_NAMES.workerPrefix} %`;

/** The ffmpeg a worker runs, as its session name carries it (the admin's status shows an outdated one). */
export interface SessionFfmpeg {
  version: string;
  /** env (FFMPEG_PATH), system, or npm: the static build from 2018, which gets no security fixes. */
  source: string;
}

/**
 * A worker's session name: prefix, host and process, and its ffmpeg as ` ff=<version>/<source>`, within
 * Postgres's 63-byte limit (the host is cut to fit).
 */
export function workerSessionName(host: string, pid: number, ffmpeg?: SessionFfmpeg): string {
  const ff = ffmpeg
    ? ` ff=${ffmpeg.version.replace(/[^\w.+~-]/g, '').slice(0, 16)}/${ffmpeg.source.replace(/\W/g, '').slice(0, 8)}`
    : '';
  const room = 63 - `${SESSION_NAMES.workerPrefix}  ${pid}${ff}`.length;
  return `${SESSION_NAMES.workerPrefix} ${host.slice(0, Math.max(1, Math.min(32, room)))} ${pid}${ff}`;
}

/** A worker session name split back: the name without its ffmpeg part, and that part (older workers lack it). */
export function parseWorkerSession(applicationName: string): { name: string; ffmpeg: SessionFfmpeg | null } {
  const match = / ff=([^/\s]*)\/(\w+)$/.exec(applicationName);
  if (!match) return { name: applicationName, ffmpeg: null };
  const [, version = '', source = ''] = match;
  return { name: applicationName.slice(0, match.index), ffmpeg: { version, source } };
}
