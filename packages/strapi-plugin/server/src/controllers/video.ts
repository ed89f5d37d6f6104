import type { Core } from '@strapi/strapi';
import { invalidParameter } from '../errors';
import { callerOf } from '../services/callers';
import { refusal, sniffFile } from '../upload-type';
import { getService } from '../utils/get-service';
import { imageListParams, videoListParams } from './list-query';
import { body, respond } from './respond';

/** A file as Strapi's multipart parser (formidable) hands it over. */
type UploadedFile = {
  filepath?: string;
  originalFilename?: string;
  mimetype?: string;
  /** Read by Strapi's upload service before the declared type. */
  detectedMimeType?: string;
};

export default ({ strapi }: { strapi: Core.Strapi }) => {
  return {
    /** VOD's GetVideoInfo: the video, its cover and its dynamic images. */
    info: respond(async (ctx) => getService(strapi, 'results').videoInfo(ctx.params.videoId)),
    /** The Media Library's videos, each with its dynamic images and cover. */
    list: respond(async (ctx) => getService(strapi, 'videos').list(videoListParams(ctx.query))),
    /** Every dynamic image, for the admin's gallery. */
    images: respond(async (ctx) => getService(strapi, 'videos').images(imageListParams(ctx.query))),
    /** VOD's ListDynamicImage. */
    dynamicImages: respond(async (ctx) => {
      const video = await getService(strapi, 'jobs').video(ctx.params.videoId);
      return getService(strapi, 'results').listForVideo(video.id);
    }),
    /** VOD's DeleteDynamicImage: the record and its Media Library file. */
    deleteDynamicImage: respond(async (ctx) => {
      await getService(strapi, 'results').remove(ctx.params.dynamicImageId);
    }),
    setCover: respond(async (ctx) => {
      await getService(strapi, 'results').setCover(ctx.params.dynamicImageId);
    }),
    /** Upload with a workflow: one multipart request with `files` and `workflowId` (the workflow's id or name). */
    upload: respond(async (ctx) => {
      const { workflowId } = body(ctx);
      if (typeof workflowId !== 'string' || !workflowId) {
        throw invalidParameter('workflowId', `workflowId is required; got ${JSON.stringify(workflowId)}`);
      }
      // Checked before the file is stored: a refused request leaves nothing behind.
      const workflow = await getService(strapi, 'workflows').getRunnableByRef(workflowId);
      const files = (ctx.request as unknown as { files?: Record<string, unknown> }).files?.files;
      if (!files || (Array.isArray(files) && files.length === 0))
        throw invalidParameter('files', 'a video file is required');
      const list = Array.isArray(files) ? files : [files];
      // The bytes decide the type, not the client: an HTML page sent as video/mp4 is refused, a video
      // sent as application/octet-stream (curl's default) is stored as what it is.
      for (const f of list as UploadedFile[]) {
        const detected = f.filepath ? await sniffFile(f.filepath) : undefined;
        const why = refusal(strapi, detected, f.mimetype);
        if (why) throw invalidParameter('files', `${f.originalFilename ?? 'a file'}: ${why}`);
        f.mimetype = detected;
        f.detectedMimeType = detected;
      }
      // The caller's room for every job this makes, and each job's budget, before anything is stored.
      const caller = callerOf(ctx.state);
      await getService(strapi, 'callers').ensureRoom(caller, workflow.nodes.length * list.length);
      await getService(strapi, 'jobs').checkWorkflowCost(workflow);
      const uploads = getService(strapi, 'uploads');
      const stored = await uploads
        .withoutHook(() =>
          strapi
            .plugin('upload')
            .service('upload')
            .upload({ data: { fileInfo: {} }, files: list.length === 1 ? list[0] : list }),
        )
        .catch((err: Error) => {
          // The upload service's own refusals (a file name it won't take…) name no field: they are the files'.
          if (err?.name === 'ApplicationError' || err?.name === 'ValidationError') {
            throw invalidParameter('files', `the Media Library refused the upload: ${err.message}`);
          }
          throw err;
        });
      const results = [];
      for (const file of stored as Array<{ id: number; url: string; name: string }>) {
        const run = await getService(strapi, 'jobs').submitWorkflow(
          file.id,
          workflow.workflowId,
          'upload',
          false,
          caller,
        );
        results.push({ video: { videoId: file.id, name: file.name, url: file.url }, jobs: run.jobs });
      }
      return results;
    }, 201),
  };
};
