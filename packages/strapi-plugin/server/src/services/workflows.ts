import { randomUUID } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { getTemplate } from '../data/templates';
import { getWorkflow, toWorkflow, WORKFLOW as UID, type WorkflowRecord } from '../data/workflows';
import { illegalStatus, invalidParameter } from '../errors';
import { getService } from '../utils/get-service';

export type { WorkflowRecord } from '../data/workflows';

const workflowInput = z.strictObject({
  name: z.string().trim().min(1).max(128),
  nodes: z
    .array(z.strictObject({ templateId: z.string().min(1) }))
    .min(1)
    .max(20),
  enabled: z.boolean().default(true),
  /** Media Library folder ids: a video uploaded into one of them runs this workflow. */
  folders: z.array(z.number().int().positive()).default([]),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  parse(input: unknown): z.output<typeof workflowInput> {
    const parsed = workflowInput.safeParse(input);
    if (parsed.success) return parsed.data;
    const first = parsed.error.issues[0];
    const field = first?.path.join('.') || 'workflow';
    const messages = parsed.error.issues.map((i) => `${i.path.join('.') || 'workflow'}: ${i.message}`);
    throw invalidParameter(field, messages.join('; '), { issues: parsed.error.issues });
  },

  async checkTemplates(nodes: Array<{ templateId: string }>) {
    for (const node of nodes) await getTemplate(strapi, node.templateId);
  },

  async list(): Promise<WorkflowRecord[]> {
    return (await strapi.db.query(UID).findMany({ orderBy: { createdAt: 'asc' } })).map(toWorkflow);
  },

  async get(workflowId: string): Promise<WorkflowRecord> {
    return getWorkflow(strapi, workflowId);
  },

  /** A workflow about to run: a disabled one is refused, as VOD refuses a disabled workflow. */
  async getRunnable(workflowId: string): Promise<WorkflowRecord> {
    const workflow = await this.get(workflowId);
    if (!workflow.enabled) {
      throw illegalStatus(`Workflow ${workflow.name} is disabled; enable it to run it`, {
        workflowId: workflow.workflowId,
      });
    }
    return workflow;
  },

  async create(input: unknown): Promise<WorkflowRecord> {
    const data = this.parse(input);
    await this.checkTemplates(data.nodes);
    if (await strapi.db.query(UID).findOne({ where: { name: data.name } })) {
      throw invalidParameter('name', `name ${JSON.stringify(data.name)} is already used by another workflow`);
    }
    const row = await strapi.db
      .query(UID)
      .create({ data: { workflowId: randomUUID().replaceAll('-', ''), ...data } });
    return toWorkflow(row);
  },

  async update(workflowId: string, patch: unknown): Promise<WorkflowRecord> {
    const current = await this.get(workflowId);
    const { workflowId: _id, createdAt: _c, updatedAt: _u, ...fields } = current;
    const data = this.parse({ ...fields, ...(patch as object) });
    await this.checkTemplates(data.nodes);
    const clash = await strapi.db.query(UID).findOne({ where: { name: data.name } });
    if (clash && clash.workflowId !== workflowId) {
      throw invalidParameter('name', `name ${JSON.stringify(data.name)} is already used by another workflow`);
    }
    return toWorkflow(await strapi.db.query(UID).update({ where: { workflowId }, data }));
  },

  async remove(workflowId: string): Promise<void> {
    await this.get(workflowId);
    await strapi.db.query(UID).delete({ where: { workflowId } });
  },

  async usingTemplate(templateId: string): Promise<string[]> {
    return (await this.list())
      .filter((w) => w.nodes.some((n) => n.templateId === templateId))
      .map((w) => w.workflowId);
  },

  /** The workflow bound to a folder, else the configured default; null when none applies. */
  async forUpload(folderId: number | null): Promise<WorkflowRecord | null> {
    const workflows = (await this.list()).filter((w) => w.enabled);
    if (folderId !== null) {
      const bound = workflows.find((w) => w.folders.includes(folderId));
      if (bound) return bound;
    }
    const { defaultWorkflow: defaultId } = await getService(strapi, 'settings').get();
    return defaultId
      ? (workflows.find((w) => w.workflowId === defaultId || w.name === defaultId) ?? null)
      : null;
  },
});
