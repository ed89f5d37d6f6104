import { parseWorkerSession, SESSION_NAMES } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { sessionsNamed } from '../data/sessions';
import { getService } from '../utils/get-service';

// Workers name their database sessions with core's workerSessionName (pg's application_name), so a
// worker counts as connected while it holds a session to this database, embedded or standalone.

export interface WorkerFfmpeg {
  version: string;
  /** env (FFMPEG_PATH), system, or npm: the static build from 2018, which gets no security fixes. */
  source: string;
  outdated: boolean;
}

export interface WorkerStatus {
  workers: Array<{
    name: string;
    address: string | null;
    sessions: number;
    connectedSince: string;
    ffmpeg: WorkerFfmpeg | null;
  }>;
  queue: { queued: number; active: number; deferred: number } | null;
  mode: string;
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async get(): Promise<WorkerStatus> {
    const sessions = await sessionsNamed(strapi.db.connection, `${SESSION_NAMES.workerPrefix} `);
    const depth = await getService(strapi, 'queue').stats();
    return {
      workers: sessions.map((r) => {
        const { name, ffmpeg } = parseWorkerSession(r.name);
        return {
          name,
          ffmpeg: ffmpeg ? { ...ffmpeg, outdated: ffmpeg.source === 'npm' } : null,
          address: r.address,
          sessions: r.sessions,
          connectedSince: new Date(r.since).toISOString(),
        };
      }),
      queue: depth,
      mode: (strapi.config.get('plugin::dynamic-image.worker') as { mode: string }).mode,
    };
  },
});
