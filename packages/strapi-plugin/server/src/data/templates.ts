// Template rows: read, checked and written here, so the services that need a template (jobs, workflows,
// auto-thumbnail rules) don't call the templates service, which calls them to see if a template is in use.
import { randomUUID } from 'node:crypto';
import { parseTemplate, type Template, TemplateValidationError } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fromValidation, invalidParameter, notFound } from '../errors';

export const TEMPLATE = 'plugin::dynamic-image.template';

export interface TemplateRecord extends Template {
  templateId: string;
  createdAt?: string;
  updatedAt?: string;
}

const FIELDS = [
  'version',
  'name',
  'format',
  'fps',
  'width',
  'height',
  'captureMethod',
  'start',
  'duration',
  'trimEnd',
  'setAsDefaultThumbnail',
  'profile',
  'loopCount',
  'speed',
  'boomerang',
  'sizeMode',
  'webpQuality',
  'webpLossless',
  'gifColors',
  'gifDither',
  'maxBytes',
] as const;

export function toTemplate(row: Record<string, unknown>): TemplateRecord {
  const out: Record<string, unknown> = {
    templateId: row.templateId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  for (const field of FIELDS) {
    const value = row[field];
    if (value === null || value === undefined) continue;
    // Postgres decimals may come back as strings.
    out[field] = ['start', 'duration', 'trimEnd', 'speed', 'gifDither'].includes(field)
      ? Number(value)
      : value;
  }
  // `start: "auto"` is a flag beside the start column (a float), which then holds 0.
  if (row.startAuto === true) out.start = 'auto';
  return out as unknown as TemplateRecord;
}

export function toRow(template: Template): Record<string, unknown> {
  return {
    version: template.version,
    name: template.name,
    format: template.format,
    fps: template.fps,
    width: template.width ?? null,
    height: template.height ?? null,
    captureMethod: template.captureMethod,
    start: template.start === 'auto' ? 0 : template.start,
    // Absent unless set, like the playback fields: older rows read back unchanged.
    startAuto: template.start === 'auto' ? true : null,
    duration: template.duration ?? null,
    trimEnd: template.trimEnd ?? null,
    setAsDefaultThumbnail: template.setAsDefaultThumbnail,
    profile: template.profile ?? null,
    // Absent playback fields stay absent (null), so a template saved before them reads back unchanged.
    loopCount: template.loopCount ?? null,
    speed: template.speed ?? null,
    boomerang: template.boomerang ?? null,
    sizeMode: template.sizeMode ?? null,
    webpQuality: template.webpQuality ?? null,
    webpLossless: template.webpLossless ?? null,
    gifColors: template.gifColors ?? null,
    gifDither: template.gifDither ?? null,
    maxBytes: template.maxBytes ?? null,
  };
}

export function validateTemplate(input: unknown): Template {
  try {
    return parseTemplate(input);
  } catch (err) {
    if (err instanceof TemplateValidationError) throw fromValidation(err);
    throw err;
  }
}

export async function getTemplate(strapi: Core.Strapi, templateId: string): Promise<TemplateRecord> {
  const row = await strapi.db.query(TEMPLATE).findOne({ where: { templateId } });
  if (!row) throw notFound('Template', templateId);
  return toTemplate(row);
}

/** The template row with this templateId, else with this name; null when neither exists. */
export async function findTemplateRow(strapi: Core.Strapi, ref: string) {
  return (
    (await strapi.db.query(TEMPLATE).findOne({ where: { templateId: ref } })) ??
    (await strapi.db.query(TEMPLATE).findOne({ where: { name: ref } }))
  );
}

export async function assertNameFree(strapi: Core.Strapi, name: string, except?: string) {
  const clash = await strapi.db.query(TEMPLATE).findOne({ where: { name } });
  if (clash && clash.templateId !== except) {
    throw invalidParameter('name', `name ${JSON.stringify(name)} is already used by another template`, {
      templateId: clash.templateId,
    });
  }
}

export async function createTemplate(strapi: Core.Strapi, input: unknown): Promise<TemplateRecord> {
  const template = validateTemplate(input);
  await assertNameFree(strapi, template.name);
  const row = await strapi.db
    .query(TEMPLATE)
    .create({ data: { templateId: randomUUID().replaceAll('-', ''), ...toRow(template) } });
  return toTemplate(row);
}
