import type { DynamicImageResult } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { ReceivedFile } from '../controllers/worker-body';
import { fallBackCover } from '../data/covers';
import { jsonColumn } from '../data/json';
import { withAdvisoryLock } from '../data/locks';
import { ApiError, invalidParameter, jobStateConflict, notFound } from '../errors';
import { windowEventFields } from '../events/payload';
import {
  announceResult,
  discardResult,
  putResult,
  type ResultFile,
  recordResult,
  type UploadedResult,
} from '../result-upload';
import { getService } from '../utils/get-service';
import type { DynamicImageCompleteEvent, PendingEvent } from './events';
import { presentImage, successEventOf } from './image-rows';
import { entryEventFields } from './job-rows';
import { jobStates, TABLES } from './job-states';

const JOB = 'plugin::dynamic-image.job';
const IMAGE = 'plugin::dynamic-image.dynamic-image';
const FILE = 'plugin::upload.file';
const FOLDER = 'plugin::upload.folder';
export const RESULTS_FOLDER = 'Dynamic images';

/** What a result's recording reads of its job's row. */
type JobRow = { videoId: number; templateId: string; templateSnapshot: unknown; entry: unknown };

/** What recording a result came to: a new dynamic image (its file, its event), or the one already stored. */
type Recorded =
  | { dynamicImage: ReturnType<typeof presentImage>; created: true; event: PendingEvent; file: ResultFile }
  | { dynamicImage: ReturnType<typeof presentImage>; created: false };

/** A dynamic image id from a path or an argument: a positive integer, or a coded 400 (not a database error). */
function dynamicImageIdOf(value: unknown): number {
  const id =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw invalidParameter(
      'dynamicImageId',
      `dynamicImageId must be a positive integer; got ${JSON.stringify(value)}`,
    );
  }
  return id;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const upload = () => strapi.plugin('upload').service('upload');
  /** Run once a job's result is stored, before its event is sent (bootstrap adds the auto-thumbnail fill). */
  const successListeners: Array<(jobId: string) => Promise<void>> = [];

  async function resultsFolder(): Promise<number> {
    const find = () => strapi.db.query(FOLDER).findOne({ where: { name: RESULTS_FOLDER, parent: null } });
    const existing = await find();
    if (existing) return existing.id;
    // Two first results at once (two workers, two CMS instances) would both create it, and the second
    // would break Strapi's unique folder path: the first makes it, the others wait and find it.
    return strapi.db.transaction(async ({ trx }) => {
      await withAdvisoryLock(trx, 'results-folder');
      const made = await find();
      if (made) return made.id as number;
      const created = await strapi
        .plugin('upload')
        .service('folder')
        .create({ name: RESULTS_FOLDER, parent: null });
      return created.id as number;
    });
  }

  const successEvent = (d: ReturnType<typeof presentImage>, extra: Partial<DynamicImageCompleteEvent> = {}) =>
    successEventOf(d, extra);

  /**
   * The job a result is for, while it can take one; or the dynamic image it already has from this very
   * result (a repeated delivery). Unknown: 404. Failed, or done with another result: 409.
   */
  async function jobTaking(
    jobId: string,
    result: DynamicImageResult,
  ): Promise<{ stored: ReturnType<typeof presentImage> } | { job: JobRow }> {
    const job = await strapi.db.query(JOB).findOne({ where: { jobId } });
    if (!job) throw notFound('Job', jobId);
    if (job.state === 'success' && job.dynamicImageId) {
      const existing = await strapi.db
        .query(IMAGE)
        .findOne({ where: { id: job.dynamicImageId }, populate: ['file'] });
      if (existing?.sha256 === result.sha256) return { stored: presentImage(strapi, existing) };
    }
    // A failed job stays failed (its event is sent); a success keeps the file it has.
    if (job.state === 'success' || job.state === 'failed') throw jobStateConflict('Job', jobId, job.state);
    return { job };
  }

  /** Inside the job's lock: the file and dynamic image rows and the job's success, with its event. */
  async function record(
    jobId: string,
    result: DynamicImageResult,
    uploaded: UploadedResult,
  ): Promise<Recorded> {
    const taking = await jobTaking(jobId, result);
    if ('stored' in taking) return { dynamicImage: taking.stored, created: false };
    const { job } = taking;
    const file = await recordResult(strapi, uploaded);
    const snapshot = jsonColumn<{ setAsDefaultThumbnail?: boolean } | null>(job.templateSnapshot);
    const setCover = snapshot?.setAsDefaultThumbnail === true;
    if (setCover)
      await strapi.db.query(IMAGE).updateMany({ where: { videoId: job.videoId }, data: { isCover: false } });
    const image = await strapi.db.query(IMAGE).create({
      data: {
        file: file.id,
        video: job.videoId,
        videoId: job.videoId,
        jobId,
        templateId: job.templateId,
        format: result.format,
        width: result.width,
        height: result.height,
        duration: result.duration,
        fps: result.fps,
        frameCount: result.frameCount,
        size: result.bytes,
        sha256: result.sha256,
        isCover: setCover,
      },
      populate: ['file'],
    });
    // Conditional: a failure report doesn't take this lock, and may have ended the job since it was read.
    const written = await jobStates(strapi, TABLES.job).updateRunning(jobId, {
      state: 'success',
      progress: 100,
      stage: 'done',
      finishedAt: new Date(),
      result,
      dynamicImageId: image.id,
      errorCode: null,
      errorMessage: null,
    });
    if (!written) throw jobStateConflict('Job', jobId, 'ended');
    const dynamicImage = presentImage(strapi, image);
    // Recorded with the success, sent after the commit (and re-sent if this CMS stops in between).
    const event = await getService(strapi, 'events').record(
      successEvent(dynamicImage, {
        ...entryEventFields(job.entry),
        ...(result.encoder ? { Encoder: result.encoder } : {}),
        ...windowEventFields(result),
      }),
    );
    return { dynamicImage, created: true, event, file };
  }

  return {
    resultsFolder,

    onJobSuccess(listener: (jobId: string) => Promise<void>) {
      successListeners.push(listener);
    },

    /**
     * Stores a worker's file (received on disk, moved from there; checked against its result in
     * worker-reports) once per job: a retried delivery of the same result returns the stored one instead
     * of adding a second file. A job that ended otherwise (failed, or another result) answers 409. The
     * file goes to the upload provider with no transaction or lock held (a slow provider ties up nothing
     * of the database), and is then recorded in a short transaction; an upload that isn't recorded is
     * deleted from the provider.
     */
    async store(jobId: string, received: ReceivedFile, result: DynamicImageResult) {
      // Answered from the job's row before anything is uploaded; checked again once under the lock.
      const taking = await jobTaking(jobId, result);
      if ('stored' in taking) return taking.stored;
      const video = await strapi.db.query(FILE).findOne({ where: { id: taking.job.videoId } });
      if (!video) throw new ApiError(404, 'InvalidVideo.NotFound', `The video of job ${jobId} was deleted`);
      const uploaded = await putResult(strapi, {
        jobId,
        received,
        result,
        videoName: video.name,
        folder: await resultsFolder(),
      });
      let recorded: Recorded;
      try {
        recorded = await strapi.db.transaction(async ({ trx }) => {
          // Serialises the recording of the same job's results across requests and CMS instances.
          await withAdvisoryLock(trx, 'job-result', jobId);
          return record(jobId, result, uploaded);
        });
      } catch (err) {
        await discardResult(strapi, uploaded);
        throw err;
      }
      if (!recorded.created) {
        // The same result, delivered twice at once: the other copy was recorded first.
        await discardResult(strapi, uploaded);
        return recorded.dynamicImage;
      }
      await announceResult(strapi, recorded.file);
      // Entries waiting for this job get it before the event, so a webhook reader sees it in place.
      for (const listener of successListeners) await listener(jobId);
      await getService(strapi, 'events').send([recorded.event]);
      // Jobs of other videos with the same bytes waiting on this encode (shared-encodes.ts) end now too.
      await getService(strapi, 'sharedEncodes').settle(jobId);
      return recorded.dynamicImage;
    },

    successEvent,

    /** The dynamic image a job made, if it still exists. */
    async ofJob(jobId: string): Promise<ReturnType<typeof presentImage> | null> {
      const job = await strapi.db.query(JOB).findOne({ where: { jobId } });
      if (!job?.dynamicImageId) return null;
      const row = await strapi.db
        .query(IMAGE)
        .findOne({ where: { id: job.dynamicImageId }, populate: ['file'] });
      return row ? presentImage(strapi, row) : null;
    },

    async listForVideo(videoId: number) {
      const rows = await strapi.db
        .query(IMAGE)
        .findMany({ where: { videoId }, populate: ['file'], orderBy: { createdAt: 'desc' } });
      return rows.map((r: Record<string, unknown>) => presentImage(strapi, r));
    },

    /**
     * Removes the record, and its Media Library file unless another video's record still uses it (the same
     * bytes uploaded twice share one encode: shared-encodes.ts). The file goes with its last record.
     */
    async remove(id: unknown) {
      const dynamicImageId = dynamicImageIdOf(id);
      const row = await strapi.db.query(IMAGE).findOne({ where: { id: dynamicImageId }, populate: ['file'] });
      if (!row) throw notFound('DynamicImage', dynamicImageId);
      const fileId = row.file?.id as number | undefined;
      const last = await strapi.db.transaction(async ({ trx }) => {
        // Two deletes of the records on one file at once: the second sees the first's, and takes the file.
        if (fileId) await withAdvisoryLock(trx, 'result-file', String(fileId));
        await strapi.db.query(IMAGE).delete({ where: { id: dynamicImageId } });
        // Its job no longer stands for the (content, template) pair: asking again makes a new one.
        await strapi.db.query(JOB).updateMany({ where: { dynamicImageId }, data: { dedupeKey: null } });
        return fileId
          ? (await strapi.db.query(IMAGE).count({ where: { file: { id: fileId } } })) === 0
          : false;
      });
      if (last) await upload().remove(row.file);
      if (row.isCover) await fallBackCover(strapi, row.videoId);
    },

    async setCover(id: unknown) {
      const dynamicImageId = dynamicImageIdOf(id);
      const row = await strapi.db.query(IMAGE).findOne({ where: { id: dynamicImageId } });
      if (!row) throw notFound('DynamicImage', dynamicImageId);
      await strapi.db.query(IMAGE).updateMany({ where: { videoId: row.videoId }, data: { isCover: false } });
      await strapi.db.query(IMAGE).update({ where: { id: dynamicImageId }, data: { isCover: true } });
    },

    async videoInfo(videoId: unknown) {
      const video = await getService(strapi, 'jobs').video(videoId);
      const images = await this.listForVideo(video.id);
      const cover = images.find((i) => i.isCover) ?? null;
      return {
        video: {
          videoId: video.id,
          name: video.name,
          url: video.url,
          mime: video.mime,
          size: video.size,
          folder: video.folderPath,
        },
        coverUrl: cover?.url ?? null,
        dynamicImages: images,
      };
    },
  };
};
