import type { Core } from '@strapi/strapi';
import { invalidParameter } from '../errors';
import { imageListParams, videoListParams } from './list-query';
import { body, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const plugin = () => strapi.plugin('dynamic-image');
  return {
    /** VOD's GetVideoInfo: the video, its cover and its dynamic images. */
    info: respond(async (ctx) => plugin().service('results').videoInfo(ctx.params.videoId)),
    /** The Media Library's videos, each with its dynamic images and cover. */
    list: respond(async (ctx) => plugin().service('videos').list(videoListParams(ctx.query))),
    /** Every dynamic image, for the admin's gallery. */
    images: respond(async (ctx) => plugin().service('videos').images(imageListParams(ctx.query))),
    /** VOD's ListDynamicImage. */
    dynamicImages: respond(async (ctx) => {
      const video = await plugin().service('jobs').video(ctx.params.videoId);
      return plugin().service('results').listForVideo(video.id);
    }),
    /** VOD's DeleteDynamicImage: the record and its Media Library file. */
    deleteDynamicImage: respond(async (ctx) => {
      await plugin().service('results').remove(ctx.params.dynamicImageId);
    }),
    setCover: respond(async (ctx) => {
      await plugin().service('results').setCover(ctx.params.dynamicImageId);
    }),
    /** Upload with a workflow: one multipart request with `files` and `workflowId`. */
    upload: respond(async (ctx) => {
      const { workflowId } = body(ctx);
      if (typeof workflowId !== 'string' || !workflowId) {
        throw invalidParameter('workflowId', `workflowId is required; got ${JSON.stringify(workflowId)}`);
      }
      // Checked before the file is stored: a refused request leaves nothing behind.
      const workflow = await plugin().service('workflows').getRunnable(workflowId);
      const files = (ctx.request as unknown as { files?: Record<string, unknown> }).files?.files;
      if (!files || (Array.isArray(files) && files.length === 0))
        throw invalidParameter('files', 'a video file is required');
      const list = Array.isArray(files) ? files : [files];
      for (const f of list) {
        const mime = String((f as { mimetype?: string }).mimetype ?? '');
        if (!mime.startsWith('video/'))
          throw invalidParameter('files', `only videos can be processed; got ${mime || 'unknown type'}`);
      }
      const uploads = plugin().service('uploads');
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
        const run = await plugin().service('jobs').submitWorkflow(file.id, workflow.workflowId, 'upload');
        results.push({ video: { videoId: file.id, name: file.name, url: file.url }, jobs: run.jobs });
      }
      return results;
    }, 201),
  };
};
