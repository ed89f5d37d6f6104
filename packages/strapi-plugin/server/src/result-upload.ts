// A result goes into the Media Library byte for byte, as the worker made and verified it (its sha256
// is in the job's result). The upload service's `upload()` would run Strapi's image pipeline on it
// (sharp re-encodes it when size optimisation or auto-orientation is on, and adds resized copies),
// so the file is described with the service's own `formatFileInfo` and handed to the configured
// provider as is, then recorded like `upload()` records a file; the app's settings stay untouched.
// The three steps are apart so that the provider, which may be slow (S3), is called with nothing of
// the database held: upload, then record in a short transaction, then announce after the commit;
// an upload that can't be recorded is deleted from the provider again.
import { createReadStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicImageResult, pathInFolder, safeFileName } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { sanitize } from '@strapi/utils';
import type { ReceivedFile } from './controllers/worker-body';

const FILE = 'plugin::upload.file';

/** A job's verified result, as the worker delivered it. */
export interface ResultToUpload {
  jobId: string;
  /** The received file; moved from there. */
  received: ReceivedFile;
  result: DynamicImageResult;
  /** The video's Media Library name: only shown (cleaned, no path in it); the file gets a name of ours. */
  videoName: string;
  /** The Media Library folder it goes in. */
  folder: number;
}

/** A file in the provider's storage, described as its Media Library row will be (url, hash, ext…). */
export type UploadedResult = Record<string, unknown>;

/** The Media Library row written for a result. */
export interface ResultFile {
  id: number;
  url: string;
  size: number;
}

/** Hands the file to the upload provider; no database transaction should be open around it. */
export async function putResult(strapi: Core.Strapi, input: ResultToUpload): Promise<UploadedResult> {
  const { jobId, received, result } = input;
  const shownName = safeFileName(input.videoName);
  const baseName = safeFileName(shownName.replace(/\.[^.]+$/, ''), { maxLength: 80 });
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-image-result-'));
  const path = pathInFolder(dir, `result.${result.format}`);
  try {
    await rename(received.path, path);
    const data = await strapi
      .plugin('upload')
      .service('upload')
      .formatFileInfo(
        { filename: `result.${result.format}`, type: `image/${result.format}`, size: received.size },
        {
          // `.gif` or `.webp` at its end gives the file its extension.
          name: `${baseName}-${jobId.slice(0, 8)}.${result.format}`,
          alternativeText: `Dynamic image of ${shownName}`,
          caption: `${result.format.toUpperCase()} ${result.width}×${result.height}, ${result.fps} fps, ${result.duration.toFixed(2)} s`,
          folder: input.folder,
        },
      );
    Object.assign(data, {
      width: result.width,
      height: result.height,
      getStream: () => createReadStream(path),
    });
    const provider = strapi.plugin('upload').service('provider');
    await provider.checkFileSize(data);
    await provider.upload(data);
    const { getStream: _stream, ...uploaded } = data as Record<string, unknown>;
    return uploaded;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the uploaded file's Media Library row (inside the caller's transaction, if any). */
export async function recordResult(strapi: Core.Strapi, uploaded: UploadedResult): Promise<ResultFile> {
  return strapi.db.query(FILE).create({
    data: { ...uploaded, provider: (strapi.config.get('plugin::upload') as { provider?: string }).provider },
  });
}

/** After the commit: webhooks subscribed to media.create hear of the file, as they do of any upload. */
export async function announceResult(strapi: Core.Strapi, file: ResultFile): Promise<void> {
  strapi.eventHub.emit('media.create', {
    media: await sanitize.sanitizers.defaultSanitizeOutput(
      { schema: strapi.getModel(FILE), getModel: (uid) => strapi.getModel(uid as never) },
      // The row as the database gave it (every column), typed here by what the plugin reads of it.
      file as never,
    ),
  });
}

/** Deletes an upload that was not recorded, so the provider keeps no file the Media Library doesn't know. */
export async function discardResult(strapi: Core.Strapi, uploaded: UploadedResult): Promise<void> {
  try {
    await strapi.plugin('upload').provider.delete(uploaded);
  } catch (err) {
    // The caller's own answer matters more; the log names the object left behind.
    strapi.log.error(
      `[dynamic-image] could not delete the unrecorded result ${String(uploaded.url)} from the upload provider: ${(err as Error).message}`,
    );
  }
}
