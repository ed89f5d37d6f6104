export const ErrorCodes = {
  AUDIO_ONLY: 'AUDIO_ONLY',
  DAMAGED_SOURCE: 'DAMAGED_SOURCE',
  ABNORMAL_CONTAINER: 'ABNORMAL_CONTAINER',
  WINDOW_OUT_OF_RANGE: 'WINDOW_OUT_OF_RANGE',
  SOURCE_UNREACHABLE: 'SOURCE_UNREACHABLE',
  UNSUPPORTED_SOURCE: 'UNSUPPORTED_SOURCE',
  INVALID_TEMPLATE: 'INVALID_TEMPLATE',
  INVALID_JOB: 'INVALID_JOB',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  BUDGET_UNREACHABLE: 'BUDGET_UNREACHABLE',
  ENCODE_FAILED: 'ENCODE_FAILED',
  OUTPUT_INVALID: 'OUTPUT_INVALID',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  DELIVERY_FAILED: 'DELIVERY_FAILED',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorCatalogEntry {
  message: string;
  /** Whether running the same job again may succeed. Deterministic input errors are not retried. */
  retryable: boolean;
}

export const errorCatalog: Record<ErrorCode, ErrorCatalogEntry> = {
  AUDIO_ONLY: { message: 'The source has no video stream (audio only).', retryable: false },
  DAMAGED_SOURCE: {
    message: 'The source is damaged or truncated and cannot be decoded.',
    retryable: false,
  },
  ABNORMAL_CONTAINER: {
    message: 'The source container is abnormal (for example a missing moov atom or an unusable duration).',
    retryable: false,
  },
  WINDOW_OUT_OF_RANGE: {
    message: 'The capture window lies outside the video.',
    retryable: false,
  },
  SOURCE_UNREACHABLE: {
    message: 'The source could not be opened or fetched.',
    retryable: true,
  },
  UNSUPPORTED_SOURCE: {
    message: 'The source location, protocol or format is not allowed.',
    retryable: false,
  },
  INVALID_TEMPLATE: { message: 'The template breaks a rule.', retryable: false },
  INVALID_JOB: { message: 'The job payload breaks the job contract.', retryable: false },
  BUDGET_EXCEEDED: {
    message: 'The dynamic image would cost more than the configured budget (pixel-frames or output bytes).',
    retryable: false,
  },
  OUTPUT_TOO_LARGE: {
    message: 'The encoded file grew past the configured byte cap; ffmpeg was stopped.',
    retryable: false,
  },
  BUDGET_UNREACHABLE: {
    message: "No output fits the template's maxBytes, with quality, fps and size lowered as far as allowed.",
    retryable: false,
  },
  ENCODE_FAILED: { message: 'ffmpeg failed to encode the dynamic image.', retryable: true },
  OUTPUT_INVALID: {
    message: 'The encoded dynamic image failed verification.',
    retryable: true,
  },
  STORAGE_UNAVAILABLE: {
    message: 'The worker could not write its temporary files or the result.',
    retryable: true,
  },
  DELIVERY_FAILED: {
    message: 'The result could not be handed to the CMS.',
    retryable: true,
  },
  TIMEOUT: { message: 'The job ran past its time limit and was stopped.', retryable: true },
  CANCELLED: { message: 'The job was cancelled before it finished.', retryable: true },
  INTERNAL: { message: 'An unexpected error happened in the worker.', retryable: true },
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

export class DynamicImageError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCatalog[code].message);
    this.name = 'DynamicImageError';
    this.code = code;
    if (details) this.details = details;
  }

  get retryable(): boolean {
    return errorCatalog[this.code].retryable;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function toDynamicImageError(err: unknown): DynamicImageError {
  if (err instanceof DynamicImageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DynamicImageError('INTERNAL', message || errorCatalog.INTERNAL.message);
}
