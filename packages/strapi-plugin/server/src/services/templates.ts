import { randomUUID } from 'node:crypto';
import { parseTemplate, type Template, TemplateValidationError } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { fromValidation, illegalStatus, invalidParameter, notFound } from '../errors';

const UID = 'plugin::dynamic-image.template';

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
    out[field] = ['start', 'duration', 'trimEnd'].includes(field) ? Number(value) : value;
  }
  return out as unknown as TemplateRecord;
}

function toRow(template: Template): Record<string, unknown> {
  return {
    version: template.version,
    name: template.name,
    format: template.format,
    fps: template.fps,
    width: template.width ?? null,
    height: template.height ?? null,
    captureMethod: template.captureMethod,
    start: template.start,
    duration: template.duration ?? null,
    trimEnd: template.trimEnd ?? null,
    setAsDefaultThumbnail: template.setAsDefaultThumbnail,
  };
}

function strip(record: TemplateRecord): Template {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...template } = record;
  return template as Template;
}

function validate(input: unknown): Template {
  try {
    return parseTemplate(input);
  } catch (err) {
    if (err instanceof TemplateValidationError) throw fromValidation(err);
    throw err;
  }
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async list(): Promise<TemplateRecord[]> {
    const rows = await strapi.db.query(UID).findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(toTemplate);
  },

  async get(templateId: string): Promise<TemplateRecord> {
    const row = await strapi.db.query(UID).findOne({ where: { templateId } });
    if (!row) throw notFound('Template', templateId);
    return toTemplate(row);
  },

  async assertNameFree(name: string, except?: string) {
    const clash = await strapi.db.query(UID).findOne({ where: { name } });
    if (clash && clash.templateId !== except) {
      throw invalidParameter(
        'name',
        `name ${JSON.stringify(name)} is already used by template ${clash.templateId}`,
      );
    }
  },

  async create(input: unknown): Promise<TemplateRecord> {
    const template = validate(input);
    await this.assertNameFree(template.name);
    const row = await strapi.db
      .query(UID)
      .create({ data: { templateId: randomUUID().replaceAll('-', ''), ...toRow(template) } });
    return toTemplate(row);
  },

  /** A partial update: given fields replace the stored ones, `null` clears width or height. */
  async update(templateId: string, patch: unknown): Promise<TemplateRecord> {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw invalidParameter('template', 'the body must be an object of template fields');
    }
    const current = strip(await this.get(templateId)) as Record<string, unknown>;
    const changes = patch as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...current, ...changes };
    if (changes.captureMethod && changes.captureMethod !== current.captureMethod) {
      const stale = current.captureMethod === 'byDuration' ? 'duration' : 'trimEnd';
      if (!(stale in changes)) delete merged[stale];
    }
    for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
    const template = validate(merged);
    await this.assertNameFree(template.name, templateId);
    const row = await strapi.db.query(UID).update({ where: { templateId }, data: toRow(template) });
    return toTemplate(row);
  },

  async remove(templateId: string): Promise<void> {
    await this.get(templateId);
    const workflows = await strapi.plugin('dynamic-image').service('workflows').usingTemplate(templateId);
    if (workflows.length > 0) {
      throw illegalStatus(
        `Template ${templateId} is used by workflows ${workflows.join(', ')}; remove it from them first`,
        {
          workflows,
        },
      );
    }
    const rules = await strapi.plugin('dynamic-image').service('autoThumbnails').usingTemplate(templateId);
    if (rules.length > 0) {
      throw illegalStatus(
        `Template ${templateId} is used by auto-thumbnail rules of ${rules.join(', ')}; change them first`,
        { autoThumbnails: rules },
      );
    }
    await strapi.db.query(UID).delete({ where: { templateId } });
  },
});
