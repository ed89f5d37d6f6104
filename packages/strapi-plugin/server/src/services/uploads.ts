import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core } from '@strapi/strapi';
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
    const onFile = (file: Record<string, unknown> | undefined, reason: 'created' | 'replaced') => {
      if (!file || quiet.getStore()) return;
      if (!String(file.mime ?? '').startsWith('video/')) return;
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
      state: { sha256?: string | null };
    };
    // The content hash is taken before the row is written, while the upload's bytes are at hand.
    const hashUpload = async (event: Event) => {
      event.state.sha256 = await hashes().fromUpload(event.params.data);
    };
    const remember = async (event: Event) => {
      const file = event.result as { id: number } | undefined;
      if (file && event.state.sha256) await hashes().remember(file, event.state.sha256);
    };
    strapi.db.lifecycles.subscribe({
      models: ['plugin::upload.file'],
      beforeCreate: (event) => hashUpload(event as unknown as Event),
      beforeUpdate: (event) => hashUpload(event as unknown as Event),
      afterCreate: async (event) => {
        await remember(event as unknown as Event);
        onFile(event.result as Record<string, unknown>, 'created');
      },
      afterUpdate: async (event) => {
        await remember(event as unknown as Event);
        const params = event.params as { data?: Record<string, unknown> };
        // A replacement writes the file's data again (its hash and url stay); metadata edits don't.
        if (params.data && 'hash' in params.data) onFile(event.result as Record<string, unknown>, 'replaced');
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
