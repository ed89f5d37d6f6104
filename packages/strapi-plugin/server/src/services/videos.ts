import type { Core } from '@strapi/strapi';
import type { DynamicImage, VideoList } from '../api-types';
import type { VideoSort } from '../controllers/list-query';
import { openFailures } from '../data/video-failures';
import { presentImage } from './image-rows';
import { RESULTS_FOLDER } from './results';

const FILE = 'plugin::upload.file';
const IMAGE = 'plugin::dynamic-image.dynamic-image';
const JOB = 'plugin::dynamic-image.job';
const FOLDER = 'plugin::upload.folder';

/** The Media Library seen from this plugin: its videos with their dynamic images, and its folders. */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** The query's values are checked by the controller (controllers/list-query.ts): plain strings and numbers. */
  async list(query: {
    page?: number;
    pageSize?: number;
    search?: string;
    sort?: VideoSort;
  }): Promise<VideoList> {
    const pageSize = query.pageSize ?? 24;
    const page = query.page ?? 1;
    const where: Record<string, unknown> = { mime: { $startsWith: 'video/' } };
    if (query.search) where.name = { $containsi: query.search };
    const [field, direction] = (query.sort ?? 'createdAt:desc').split(':') as [string, 'asc' | 'desc'];
    const [files, total] = await Promise.all([
      strapi.db.query(FILE).findMany({
        where,
        // The id breaks ties, so pages don't overlap.
        orderBy: [{ [field]: direction }, { id: direction }],
        limit: pageSize,
        offset: (page - 1) * pageSize,
        populate: ['folder'],
      }),
      strapi.db.query(FILE).count({ where }),
    ]);
    const ids = files.map((f: { id: number }) => f.id);
    const images = ids.length
      ? await strapi.db
          .query(IMAGE)
          .findMany({ where: { videoId: { $in: ids } }, populate: ['file'], orderBy: { createdAt: 'desc' } })
      : [];
    const jobs = ids.length
      ? await strapi.db
          .query(JOB)
          .findMany({ where: { videoId: { $in: ids }, state: { $in: ['queued', 'processing'] } } })
      : [];
    const failures = await openFailures(strapi, ids);
    return {
      videos: files.map((f: Record<string, unknown>) => {
        const own = images
          .filter((i: { videoId: number }) => i.videoId === f.id)
          .map((i: Record<string, unknown>) => presentImage(strapi, i) as DynamicImage);
        const folder = f.folder as { id: number; name: string } | null;
        const cover = own.find((i) => i.isCover)?.url;
        return {
          videoId: f.id as number,
          name: f.name as string,
          url: f.url as string,
          mime: f.mime as string,
          size: Number(f.size),
          createdAt: f.createdAt as string,
          folder: folder ? { id: folder.id, name: folder.name } : null,
          coverUrl: cover ?? null,
          dynamicImages: own,
          runningJobs: jobs.filter((j: { videoId: number }) => j.videoId === f.id).length,
          failedJobs: failures
            .filter((j) => j.videoId === f.id)
            .map(({ videoId: _v, ...failure }) => failure),
        };
      }),
      pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) },
    };
  },

  /** Every dynamic image, newest first, with its video's name: the admin's gallery. */
  async images(query: { page?: number; pageSize?: number; videoId?: number }) {
    const pageSize = query.pageSize ?? 24;
    const page = query.page ?? 1;
    const where: Record<string, unknown> = query.videoId ? { videoId: query.videoId } : {};
    const [rows, total] = await Promise.all([
      strapi.db.query(IMAGE).findMany({
        where,
        populate: ['file', 'video'],
        orderBy: { createdAt: 'desc' },
        limit: pageSize,
        offset: (page - 1) * pageSize,
      }),
      strapi.db.query(IMAGE).count({ where }),
    ]);
    return {
      dynamicImages: rows.map((r: Record<string, unknown>) => ({
        ...presentImage(strapi, r),
        videoName: (r.video as { name?: string } | null)?.name ?? null,
      })),
      pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) },
    };
  },

  /** Every Media Library folder with its path of names, for binding workflows. */
  async folders() {
    const rows = (await strapi.db.query(FOLDER).findMany({ orderBy: { path: 'asc' } })) as Array<{
      id: number;
      name: string;
      path: string;
      pathId: number;
    }>;
    const byPathId = new Map(rows.map((r) => [String(r.pathId), r.name]));
    // The plugin's own results folder holds images only: binding a workflow to it would do nothing.
    const own = rows.find((r) => r.name === RESULTS_FOLDER && r.path === `/${r.pathId}`);
    return rows
      .filter((r) => r !== own)
      .map((r) => ({
        id: r.id,
        name: r.name,
        // path is "/1/4": the folders' pathIds from the root.
        label: r.path
          .split('/')
          .filter(Boolean)
          .map((p) => byPathId.get(p) ?? p)
          .join(' / '),
      }));
  },
});
