// A result goes into the Media Library byte for byte, as the worker made and verified it (its sha256
// is in the job's result). The upload service's `upload()` would run Strapi's image pipeline on it
// (sharp re-encodes it when size optimisation or auto-orientation is on, and adds resized copies),
// so the file is described with the service's own `formatFileInfo` and handed to the configured
// provider as is, then recorded like `upload()` records a file; the app's settings stay untouched.
import { createReadStream } from 'node:fs';
import type { Core } from '@strapi/strapi';
import { sanitize } from '@strapi/utils';

const FILE = 'plugin::upload.file';

export interface ResultUpload {
  /** The verified file, under a name of the plugin's own inside its temporary folder. */
  path: string;
  /** The Media Library name; `.gif` or `.webp` at its end gives the file its extension. */
  name: string;
  format: 'gif' | 'webp';
  size: number;
  width: number;
  height: number;
  fileInfo: { alternativeText?: string; caption?: string; folder?: number };
}

export async function uploadResult(
  strapi: Core.Strapi,
  input: ResultUpload,
): Promise<{ id: number; url: string; size: number }> {
  const upload = strapi.plugin('upload').service('upload');
  const provider = strapi.plugin('upload').service('provider');
  const data = await upload.formatFileInfo(
    { filename: `result.${input.format}`, type: `image/${input.format}`, size: input.size },
    { ...input.fileInfo, name: input.name },
  );
  Object.assign(data, {
    width: input.width,
    height: input.height,
    getStream: () => createReadStream(input.path),
  });
  await provider.checkFileSize(data);
  await provider.upload(data);
  const { getStream: _stream, ...row } = data as Record<string, unknown>;
  const file = await strapi.db.query(FILE).create({
    data: { ...row, provider: (strapi.config.get('plugin::upload') as { provider?: string }).provider },
  });
  // Webhooks subscribed to media.create hear of it, as they do of any upload.
  strapi.eventHub.emit('media.create', {
    media: await sanitize.sanitizers.defaultSanitizeOutput(
      { schema: strapi.getModel(FILE), getModel: (uid) => strapi.getModel(uid as never) },
      file,
    ),
  });
  return file as { id: number; url: string; size: number };
}
