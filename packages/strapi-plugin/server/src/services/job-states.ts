// The row of a job or a preview as the worker's reports move it: found by the id the worker knows, and
// written only while it runs. A row that has ended (success or failed) is never written again, so a late
// or repeated report can't revive it or end it twice: each write is one conditional UPDATE.
import type { Core } from '@strapi/strapi';
import { jobStateConflict, notFound } from '../errors';

export const ENDED = ['success', 'failed'];

type Row = Record<string, unknown>;

/** A kind's table: how errors name it, its content type, and the column of the worker's id. */
export interface JobTable {
  resource: 'Job' | 'Preview';
  uid: string;
  key: 'jobId' | 'previewId';
}

export type JobKind = 'job' | 'preview';

export const TABLES: Record<JobKind, JobTable> = {
  job: { resource: 'Job', uid: 'plugin::dynamic-image.job', key: 'jobId' },
  preview: { resource: 'Preview', uid: 'plugin::dynamic-image.preview', key: 'previewId' },
};

export const hasEnded = (row: Row) => ENDED.includes(row.state as string);

export function jobStates(strapi: Core.Strapi, table: JobTable) {
  const { resource, uid, key } = table;
  const find = (id: string): Promise<Row | null> => strapi.db.query(uid).findOne({ where: { [key]: id } });
  /** The row, or a coded 404. */
  const get = async (id: string): Promise<Row> => {
    const row = await find(id);
    if (!row) throw notFound(resource, id);
    return row;
  };
  return {
    find,
    get,

    /** The row, while it runs: 404 when unknown, 409 when it has ended. */
    async running(id: string): Promise<Row> {
      const row = await get(id);
      if (hasEnded(row)) throw jobStateConflict(resource, id, row.state);
      return row;
    },

    /** Writes `data` unless the row has ended meanwhile; whether it did. */
    async updateRunning(id: string, data: Row): Promise<boolean> {
      const { count } = await strapi.db
        .query(uid)
        .updateMany({ where: { [key]: id, state: { $notIn: ENDED } }, data });
      return count > 0;
    },

    /** The 409 of a row that ended between a read and the write. */
    async conflict(id: string) {
      return jobStateConflict(resource, id, (await find(id))?.state ?? 'ended');
    },
  };
}
