import type { Template } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { TemplateInUse } from '../api-types';
import {
  assertNameFree,
  createTemplate,
  getTemplate,
  type TemplateRecord,
  toRow,
  toTemplate,
  TEMPLATE as UID,
  validateTemplate,
} from '../data/templates';
import { illegalStatus, invalidParameter } from '../errors';
import { getService } from '../utils/get-service';

export type { TemplateRecord } from '../data/templates';

function strip(record: TemplateRecord): Template {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...template } = record;
  return template as Template;
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async list(): Promise<TemplateRecord[]> {
    const rows = await strapi.db.query(UID).findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(toTemplate);
  },

  async get(templateId: string): Promise<TemplateRecord> {
    return getTemplate(strapi, templateId);
  },

  async assertNameFree(name: string, except?: string) {
    await assertNameFree(strapi, name, except);
  },

  async create(input: unknown): Promise<TemplateRecord> {
    return createTemplate(strapi, input);
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
    const template = validateTemplate(merged);
    await this.assertNameFree(template.name, templateId);
    const row = await strapi.db.query(UID).update({ where: { templateId }, data: toRow(template) });
    return toTemplate(row);
  },

  /** Refused while a workflow or an auto-thumbnail rule uses it; the refusal names them, ids in its details. */
  async remove(templateId: string): Promise<void> {
    const { name } = await this.get(templateId);
    const workflows = await getService(strapi, 'workflows').usingTemplate(templateId);
    if (workflows.length > 0) {
      const names = workflows.map((w) => w.name).join(', ');
      throw illegalStatus(
        workflows.length === 1
          ? `Template ${name} is used by workflow ${names}; remove it from there first`
          : `Template ${name} is used by workflows ${names}; remove it from them first`,
        { workflows } satisfies TemplateInUse,
      );
    }
    const rules = await getService(strapi, 'autoThumbnails').usingTemplate(templateId);
    if (rules.length > 0) {
      const names = rules.map((r) => r.name).join(', ');
      throw illegalStatus(
        rules.length === 1
          ? `Template ${name} is used by the auto-thumbnail rule of ${names}; change it first`
          : `Template ${name} is used by the auto-thumbnail rules of ${names}; change them first`,
        { autoThumbnails: rules } satisfies TemplateInUse,
      );
    }
    await strapi.db.query(UID).delete({ where: { templateId } });
  },
});
