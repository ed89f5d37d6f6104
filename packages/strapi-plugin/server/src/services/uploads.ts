import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable } from 'node:stream';
import type { Core } from '@strapi/strapi';
import { refusal, sniffStream } from '../upload-type';
import { getService } from '../utils/get-service';

// Set while the plugin uploads videos with a chosen workflow (POST /upload): the Media Library hook
// then leaves those files alone, so their workflow runs once. Results need no guard: they are images,
// which the hook ignores, so outputs never loop.
const quiet = new AsyncLocalStorage<true>();

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  withoutHook<T>(fn: () => Promise<T>): Promise<T> {
    return quiet.run(true, fn);
  },

  /** Reacts to Media Library uploads and replacements (admin, REST, any provider). */
  subscribe() {
    const onFile = (
      file: Record<string, unknown> | undefined,
      reason: 'created' | 'replaced',
      notVideo: string | null | undefined,
    ) => {
      if (!file || quiet.getStore()) return;
      if (!String(file.mime ?? '').startsWith('video/')) return;
      // Strapi may keep a client's declared type (an HTML page named .mp4 sent as video/mp4): the bytes decide.
      if (notVideo !== null) {
        strapi.log.warn(`[dynamic-image] uploaded file ${file.id} gets no job: ${notVideo ?? 'not checked'}`);
        return;
      }
      // After the upload's own transaction: the job is made in a transaction of its own.
      setImmediate(() => {
        this.runBoundWorkflow(file, reason).catch((err: Error) =>
          strapi.log.error(
            `[dynamic-image] workflow for uploaded file ${file.id} not started: ${err.message}`,
          ),
        );
      });
    };
    const hashes = () => getService(strapi, 'fileHashes');
    type Event = {
      params: { data?: Record<string, unknown> };
      result?: unknown;
      state: { sha256?: string | null; notVideo?: string | null };
    };
    // The content hash is taken before the row is written, while the upload's bytes are at hand.
    const hashUpload = async (event: Event) => {
      event.state.sha256 = await hashes().fromUpload(event.params.data);
    };
    // Sniffed while the upload's bytes are at hand, as the plugin's own upload route does.
    const sniffUpload = async (event: Event) => {
      const data = event.params.data;
      if (!data || !String(data.mime ?? '').startsWith('video/')) return;
      const getStream = data.getStream as (() => Readable) | undefined;
      if (typeof getStream !== 'function') {
        event.state.notVideo = 'its bytes could not be read to check its type';
        return;
      }
      const detected = await sniffStream(getStream()).catch(() => undefined);
      event.state.notVideo = refusal(strapi, detected, String(data.mime));
    };
    const beforeWrite = async (event: Event) => {
      await hashUpload(event);
      await sniffUpload(event);
    };
    const remember = async (event: Event) => {
      const file = event.result as { id: number } | undefined;
      if (file && event.state.sha256) await hashes().remember(file, event.state.sha256);
    };
    strapi.db.lifecycles.subscribe({
      models: ['plugin::upload.file'],
      beforeCreate: (event) => beforeWrite(event as unknown as Event),
      beforeUpdate: (event) => beforeWrite(event as unknown as Event),
      afterCreate: async (event) => {
        await remember(event as unknown as Event);
        onFile(
          event.result as Record<string, unknown>,
          'created',
          (event as unknown as Event).state.notVideo,
        );
      },
      afterUpdate: async (event) => {
        await remember(event as unknown as Event);
        const params = event.params as { data?: Record<string, unknown> };
        // A replacement writes the file's data again (its hash and url stay); metadata edits don't.
        if (params.data && 'hash' in params.data)
          onFile(
            event.result as Record<string, unknown>,
            'replaced',
            (event as unknown as Event).state.notVideo,
          );
      },
    });
  },

  async runBoundWorkflow(file: Record<string, unknown>, reason: 'created' | 'replaced') {
    const folderId = (file.folder as { id?: number } | number | null | undefined) ?? null;
    let folder =
      typeof folderId === 'object' && folderId ? (folderId.id ?? null) : (folderId as number | null);
    if (folder === null) {
      const withFolder = await strapi.db
        .query('plugin::upload.file')
        .findOne({ where: { id: file.id }, populate: ['folder'] });
      folder = withFolder?.folder?.id ?? null;
    }
    const workflow = await getService(strapi, 'workflows').forUpload(folder);
    if (!workflow) return;
    strapi.log.info(`[dynamic-image] video ${file.id} ${reason}: running workflow ${workflow.name}`);
    await getService(strapi, 'jobs').submitWorkflow(file.id, workflow.workflowId, 'upload');
  },
});
