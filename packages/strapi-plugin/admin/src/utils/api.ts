import { isFetchError, useFetchClient } from '@strapi/strapi/admin';
import * as React from 'react';

// The bodies the server builds, typed once for both sides (types only: erased from the bundle).
export type {
  DynamicImage,
  SubmitJobRequest,
  TemplateInUse,
  UsageReport,
  UsageRow,
  Video,
  VideoFailure,
  VideoList,
} from '../../../server/src/api-types';

export interface Template {
  templateId: string;
  name: string;
  format: 'gif' | 'webp';
  fps: number;
  width?: number | null;
  height?: number | null;
  captureMethod: 'byDuration' | 'trimBeginEnd';
  /** `auto`: the worker chooses the most active window. */
  start: number | 'auto';
  duration?: number | null;
  trimEnd?: number | null;
  setAsDefaultThumbnail: boolean;
  /** Absent on templates saved before profiles (they are encoded as `balanced`). */
  profile?: 'balanced' | 'quality' | 'small' | 'fast' | null;
  /** Playback and orientation: absent on templates that don't set them (core's defaults). */
  loopCount?: number | null;
  speed?: number | null;
  boomerang?: boolean | null;
  sizeMode?: 'widthHeight' | 'longSide' | null;
  /** Encoder controls: absent on templates that leave them to the profile. */
  webpQuality?: number | null;
  webpLossless?: boolean | null;
  gifColors?: number | null;
  gifDither?: number | null;
  /** Size budget in bytes: absent on templates without one. */
  maxBytes?: number | null;
  updatedAt?: string;
}

export interface Workflow {
  workflowId: string;
  name: string;
  nodes: Array<{ templateId: string }>;
  enabled: boolean;
  folders: number[];
}

export interface Job {
  jobId: string;
  state: 'queued' | 'processing' | 'success' | 'failed';
  progress: number;
  stage: string | null;
  videoId: number;
  templateId: string;
  workflowId: string | null;
  origin: string;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  dynamicImageId: number | null;
  /** The job whose encode this one shares (the same bytes uploaded as another video), if any. */
  encodeJobId?: string | null;
  /** Set by the auto-thumbnail on publish (when that feature is installed). */
  entry?: { uid: string; documentId: string; locale?: string | null } | null;
}

export interface Folder {
  id: number;
  name: string;
  label: string;
}

/** The message of a failed request: the plugin's `{ error: { code, message } }` or Strapi's. */
export function errorOf(err: unknown): { code: string | null; message: string; details?: unknown } {
  if (isFetchError(err)) {
    const error = (err.response?.data as { error?: { code?: string; message?: string; details?: unknown } })
      ?.error;
    return {
      code: error?.code ?? null,
      message: error?.message ?? err.message,
      details: error?.details,
    };
  }
  return { code: null, message: err instanceof Error ? err.message : String(err) };
}

/** GETs a plugin route, with reload and an optional refresh interval (no page reload). */
export function useResource<T>(path: string | null, refreshMs?: number) {
  const { get } = useFetchClient();
  const [data, setData] = React.useState<T | null>(null);
  const [error, setError] = React.useState<ReturnType<typeof errorOf> | null>(null);
  const [loading, setLoading] = React.useState(true);
  const load = React.useCallback(async () => {
    if (!path) return;
    try {
      const response = await get<{ data: T }>(path);
      setData(response.data.data);
      setError(null);
    } catch (err) {
      setError(errorOf(err));
    } finally {
      setLoading(false);
    }
  }, [get, path]);
  React.useEffect(() => {
    load();
    if (!refreshMs) return;
    const timer = setInterval(load, refreshMs);
    return () => clearInterval(timer);
  }, [load, refreshMs]);
  return { data, error, loading, reload: load };
}
