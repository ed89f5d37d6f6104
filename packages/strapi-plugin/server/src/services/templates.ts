import type { Template } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
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

  async remove(templateId: string): Promise<void> {
    await this.get(templateId);
    const workflows = await getService(strapi, 'workflows').usingTemplate(templateId);
    if (workflows.length > 0) {
      throw illegalStatus(
        `Template ${templateId} is used by workflows ${workflows.join(', ')}; remove it from them first`,
        {
          workflows,
        },
      );
    }
    const rules = await getService(strapi, 'autoThumbnails').usingTemplate(templateId);
    if (rules.length > 0) {
      throw illegalStatus(
        `Template ${templateId} is used by auto-thumbnail rules of ${rules.join(', ')}; change them first`,
        { autoThumbnails: rules },
      );
    }
    await strapi.db.query(UID).delete({ where: { templateId } });
  },
});
