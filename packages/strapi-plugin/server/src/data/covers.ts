// A video's cover: one of its dynamic images, marked `isCover`. Kept apart from the results service, which
// stores and deletes the images, so the rule for what follows a deleted cover lives in one place.
import type { Core } from '@strapi/strapi';
import { withAdvisoryLock } from './locks';

const IMAGE = 'plugin::dynamic-image.dynamic-image';

/**
 * After a video's cover was deleted: its newest remaining dynamic image becomes the cover, if it has one and
 * none is the cover already. Under a lock per video, so two deletes at once agree on one cover.
 */
export async function fallBackCover(strapi: Core.Strapi, videoId: number): Promise<void> {
  await strapi.db.transaction(async ({ trx }) => {
    await withAdvisoryLock(trx, 'cover', String(videoId));
    const images = strapi.db.query(IMAGE);
    if ((await images.count({ where: { videoId, isCover: true } })) > 0) return;
    const next = await images.findOne({
      where: { videoId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    if (next) await images.update({ where: { id: next.id }, data: { isCover: true } });
  });
}
