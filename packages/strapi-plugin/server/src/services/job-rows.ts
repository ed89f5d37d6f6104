// A job row as the API, the events and the other services read it: its public shape, and the fields of its
// `DynamicImageComplete`.
import { type DynamicImageResult, type ErrorCode, resolutionClass } from '@dynamic-image/core';
import { jsonColumn } from '../data/json';

/** The entry a job was made for (auto-thumbnail on publish), so its result can go back to it. */
export interface JobEntry {
  uid: string;
  documentId: string;
  locale: string | null;
}

/** What a successful job counts for in the usage report: its output's resolution class and seconds. */
export function usageOf(result: DynamicImageResult | null) {
  if (!result) return null;
  return { resolutionClass: resolutionClass(result.width, result.height), seconds: result.duration };
}

export function presentJob(row: Record<string, unknown>) {
  const result = jsonColumn<DynamicImageResult | null>(row.result) ?? null;
  return {
    jobId: row.jobId,
    state: row.state,
    progress: row.progress ?? 0,
    stage: row.stage ?? null,
    videoId: row.videoId,
    templateId: row.templateId,
    workflowId: row.workflowId ?? null,
    origin: row.origin,
    template: jsonColumn(row.templateSnapshot),
    overrideParams: jsonColumn(row.overrideParams) ?? null,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorMessage ?? null,
    attempts: row.attempts ?? 0,
    queuedAt: row.queuedAt,
    startedAt: row.startedAt ?? null,
    finishedAt: row.finishedAt ?? null,
    dynamicImageId: row.dynamicImageId ?? null,
    /** The job whose encode this one shares (the same bytes uploaded as another video), if any. */
    encodeJobId: row.encodeJobId ?? null,
    result,
    usage: row.state === 'success' ? usageOf(result) : null,
    entry: jsonColumn<JobEntry | null>(row.entry) ?? null,
  };
}

/** The entry fields of a `DynamicImageComplete` payload, when the job came from an entry. */
export function entryEventFields(entry: unknown) {
  const e = jsonColumn<JobEntry | null | undefined>(entry);
  if (!e) return {};
  return { EntryUid: e.uid, EntryDocumentId: e.documentId, EntryLocale: e.locale ?? null };
}

/** The `DynamicImageComplete` of a job that ended failed. */
export function failEvent(row: Record<string, unknown>, code: ErrorCode, message: string) {
  return {
    VideoId: row.videoId as number,
    JobId: row.jobId as string,
    Status: 'fail' as const,
    ErrorCode: code,
    ErrorMessage: message,
    ...entryEventFields(row.entry),
  };
}
