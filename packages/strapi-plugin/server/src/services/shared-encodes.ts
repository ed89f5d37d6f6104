// The same bytes uploaded again (another Media Library file, another video) with the same template make
// the same dynamic image: the encode runs once, but each video gets a job of its own. A job of a second
// video names the job whose encode it shares (`encodeJobId`) and is never queued; when that encode ends,
// each sharing job ends the same way, with its own dynamic image (the same Media Library file), its own
// cover and its own DynamicImageComplete. One short transaction per sharing job, under its result lock.
import { type DynamicImageResult, type ErrorCode, isErrorCode } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { Row } from '../data/content-jobs';
import { jsonColumn } from '../data/json';
import { withAdvisoryLock } from '../data/locks';
import { endedMeanwhile, jobStateConflict } from '../errors';
import { windowEventFields } from '../events/payload';
import { getService } from '../utils/get-service';
import type { PendingEvent } from './events';
import { presentImage, successEventOf } from './image-rows';
import { entryEventFields, failEvent } from './job-rows';
import { ENDED } from './job-states';

const JOB = 'plugin::dynamic-image.job';
const IMAGE = 'plugin::dynamic-image.dynamic-image';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  /** Run once a sharing job's result is stored, before its event is sent (bootstrap adds the auto-thumbnail fill). */
  const successListeners: Array<(jobId: string) => Promise<void>> = [];
  /**
   * A dynamic image the encode made, still stored: the encoding job's, else one a sharing job got (the
   * encoding job's own may have been deleted since).
   */
  async function imageOf(encodeJobId: string): Promise<Row | null> {
    const done: Row[] = await strapi.db.query(JOB).findMany({
      where: {
        $or: [{ jobId: encodeJobId }, { encodeJobId }],
        state: 'success',
        dynamicImageId: { $notNull: true },
      },
      orderBy: { finishedAt: 'asc' },
    });
    for (const job of done) {
      const image = await strapi.db
        .query(IMAGE)
        .findOne({ where: { id: job.dynamicImageId }, populate: ['file'] });
      if (image?.file?.id) return image;
    }
    return null;
  }

  /** Gives `job` a dynamic image of its own on the encode's file, with its cover and its event. */
  async function share(job: Row, encode: Row): Promise<void> {
    const source = await imageOf(encode.jobId);
    if (!source) {
      await fail(
        job,
        'INTERNAL',
        `The dynamic image of job ${encode.jobId}, whose encode this job shares, was deleted`,
      );
      return;
    }
    const event = await strapi.db.transaction(async ({ trx }): Promise<PendingEvent | null> => {
      await withAdvisoryLock(trx, 'job-result', job.jobId);
      // A delete of the last dynamic image on this file takes this lock: the file stays while we link it.
      await withAdvisoryLock(trx, 'result-file', String(source.file.id));
      // Two settles of one encode at once (its end, and a sharing job made just then): the first ends it.
      const current = await strapi.db.query(JOB).findOne({ where: { jobId: job.jobId } });
      if (!current || ENDED.includes(current.state)) throw jobStateConflict('Job', job.jobId, current?.state);
      const image = await strapi.db.query(IMAGE).findOne({ where: { id: source.id }, populate: ['file'] });
      if (!image?.file?.id) return null;
      const snapshot = jsonColumn<{ setAsDefaultThumbnail?: boolean } | null>(job.templateSnapshot);
      const setCover = snapshot?.setAsDefaultThumbnail === true;
      if (setCover)
        await strapi.db
          .query(IMAGE)
          .updateMany({ where: { videoId: job.videoId }, data: { isCover: false } });
      const own = await strapi.db.query(IMAGE).create({
        data: {
          file: image.file.id,
          video: job.videoId,
          videoId: job.videoId,
          jobId: job.jobId,
          templateId: job.templateId,
          format: image.format,
          width: image.width,
          height: image.height,
          duration: image.duration,
          fps: image.fps,
          frameCount: image.frameCount,
          size: image.size,
          sha256: image.sha256,
          isCover: setCover,
        },
        populate: ['file'],
      });
      const result = jsonColumn<DynamicImageResult | null>(encode.result);
      const { count } = await strapi.db.query(JOB).updateMany({
        where: { jobId: job.jobId, state: { $notIn: ENDED } },
        data: {
          state: 'success',
          progress: 100,
          stage: 'done',
          startedAt: job.startedAt ?? encode.startedAt ?? null,
          finishedAt: new Date(),
          result: result ? { ...result, jobId: job.jobId } : null,
          dynamicImageId: own.id,
          errorCode: null,
          errorMessage: null,
        },
      });
      // Ended meanwhile (a failure report takes no lock): roll back the dynamic image made above.
      if (count === 0) throw jobStateConflict('Job', job.jobId, 'ended');
      return getService(strapi, 'events').record(
        successEventOf(presentImage(strapi, own), {
          ...entryEventFields(job.entry),
          ...(result?.encoder ? { Encoder: result.encoder } : {}),
          ...windowEventFields(result),
        }),
      );
    });
    if (!event) {
      // Deleted between the two reads: another stored image of the encode, or a failure, on the next pass.
      await share(job, encode);
      return;
    }
    for (const listener of successListeners) await listener(job.jobId);
    await getService(strapi, 'events').send([event]);
  }

  /** Ends `job` failed with the shared encode's error, and its own fail event (as jobs.fail does for one). */
  async function fail(job: Row, code: string, message: string): Promise<void> {
    const errorCode: ErrorCode = isErrorCode(code) ? code : 'INTERNAL';
    const event = await strapi.db.transaction(async () => {
      const { count } = await strapi.db.query(JOB).updateMany({
        where: { jobId: job.jobId, state: { $notIn: ENDED } },
        data: { state: 'failed', errorCode, errorMessage: message.slice(0, 2000), finishedAt: new Date() },
      });
      if (count === 0) return null;
      return getService(strapi, 'events').record(failEvent(job, errorCode, message));
    });
    await getService(strapi, 'events').send([event]);
  }

  return {
    onJobSuccess(listener: (jobId: string) => Promise<void>) {
      successListeners.push(listener);
    },

    /**
     * Ends every job waiting on `encodeJobId`'s encode the way it ended, once it has. Called when an encode
     * ends and after a sharing job is made (its encode may have ended first); a job ended already is skipped.
     */
    async settle(encodeJobId: string): Promise<void> {
      const encode = await strapi.db.query(JOB).findOne({ where: { jobId: encodeJobId } });
      if (!encode || !ENDED.includes(encode.state)) return;
      const waiting: Row[] = await strapi.db
        .query(JOB)
        .findMany({ where: { encodeJobId, state: { $notIn: ENDED } }, orderBy: { queuedAt: 'asc' } });
      for (const job of waiting) {
        // One job's trouble doesn't keep the others waiting; it is logged, and the next settle tries again.
        const ended =
          encode.state === 'success'
            ? share(job, encode)
            : fail(
                job,
                encode.errorCode ?? 'INTERNAL',
                `${encode.errorMessage ?? 'The encode failed'} (the encode of job ${encodeJobId}, shared)`,
              );
        await ended.catch(endedMeanwhile).catch((err: Error) => {
          strapi.log.error(
            `[dynamic-image] job ${job.jobId} sharing ${encodeJobId} not ended: ${err.message}`,
          );
        });
      }
    },

    /**
     * Settles the jobs whose encode ended without them (their CMS stopped between the encode's end and
     * the fan-out): at start, then with the event re-send sweep's interval.
     */
    async settleStranded(): Promise<void> {
      const waiting: Row[] = await strapi.db.query(JOB).findMany({
        select: ['encodeJobId'],
        where: { encodeJobId: { $notNull: true }, state: { $notIn: ENDED } },
      });
      const encodes = [...new Set(waiting.map((j) => j.encodeJobId as string))];
      if (!encodes.length) return;
      const ended: Row[] = await strapi.db
        .query(JOB)
        .findMany({ select: ['jobId'], where: { jobId: { $in: encodes }, state: { $in: ENDED } } });
      for (const { jobId } of ended) await this.settle(jobId);
    },

    timers: [] as NodeJS.Timeout[],

    start() {
      this.stop();
      const seconds = Number(
        (strapi.config.get('plugin::dynamic-image.events') as { resendIntervalSeconds?: number } | undefined)
          ?.resendIntervalSeconds ?? 30,
      );
      // Not before Strapi has loaded: the events it sends need the webhooks, registered after bootstrap.
      const sweep = () => {
        if (!strapi.isLoaded) return;
        this.settleStranded().catch((err: Error) =>
          strapi.log.error(`[dynamic-image] jobs sharing an encode not settled: ${err.message}`),
        );
      };
      const first = setInterval(() => {
        if (!strapi.isLoaded) return;
        clearInterval(first);
        sweep();
      }, 500);
      const every = setInterval(sweep, seconds * 1000);
      first.unref();
      every.unref();
      this.timers = [first, every];
    },

    stop() {
      for (const timer of this.timers) clearInterval(timer);
      this.timers = [];
    },

    /** `settle` once the surrounding transaction commits (a job made inside another's, as on publish). */
    settleAfterCommit(encodeJobId: string, onCommit: (cb: () => void) => void) {
      onCommit(() => {
        this.settle(encodeJobId).catch((err: Error) =>
          strapi.log.error(`[dynamic-image] jobs sharing ${encodeJobId} not settled: ${err.message}`),
        );
      });
    },
  };
};
