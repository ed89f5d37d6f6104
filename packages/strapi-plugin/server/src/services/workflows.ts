import { randomUUID } from 'node:crypto';
import { unknownFolderIssue, validateWorkflow, type Workflow } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { getTemplate } from '../data/templates';
import {
  findWorkflow,
  getWorkflow,
  toWorkflow,
  WORKFLOW as UID,
  type WorkflowRecord,
} from '../data/workflows';
import { fromValidation, illegalStatus, invalidParameter } from '../errors';
import { getService } from '../utils/get-service';

export type { WorkflowRecord } from '../data/workflows';

const FOLDER = 'plugin::upload.folder';

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** Core's workflow rules; refusals carry core's issues, as a template's do. */
  parse(input: unknown): Workflow {
    const result = validateWorkflow(input);
    if (!result.ok) throw fromValidation(result);
    return result.workflow;
  },

  /**
   * What a workflow names must exist: its templates, and the Media Library folders it is newly bound to (a bound
   * folder deleted later must not stop the workflow from being edited).
   */
  async checkReferences(data: Workflow, bound: readonly number[] = []) {
    for (const node of data.nodes) await getTemplate(strapi, node.templateId);
    const added = data.folders.filter((id) => !bound.includes(id));
    if (added.length === 0) return;
    const found = await strapi.db.query(FOLDER).findMany({ select: ['id'], where: { id: { $in: added } } });
    const known = new Set(found.map((folder: { id: number }) => folder.id));
    const missing = added.find((id) => !known.has(id));
    if (missing !== undefined) throw fromValidation({ issues: [unknownFolderIssue(data.folders, missing)] });
  },

  async list(): Promise<WorkflowRecord[]> {
    return (await strapi.db.query(UID).findMany({ orderBy: { createdAt: 'asc' } })).map(toWorkflow);
  },

  async get(workflowId: string): Promise<WorkflowRecord> {
    return getWorkflow(strapi, workflowId);
  },

  /**
   * A workflow about to run, by its id or its name (as upload and the settings' default workflow name it):
   * a disabled one is refused, as VOD refuses a disabled workflow.
   */
  async getRunnableByRef(ref: string): Promise<WorkflowRecord> {
    return this.runnable(await findWorkflow(strapi, ref));
  },

  runnable(workflow: WorkflowRecord): WorkflowRecord {
    if (!workflow.enabled) {
      throw illegalStatus(`Workflow ${workflow.name} is disabled; enable it to run it`, {
        workflowId: workflow.workflowId,
      });
    }
    return workflow;
  },

  async create(input: unknown): Promise<WorkflowRecord> {
    const data = this.parse(input);
    await this.checkReferences(data);
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
    // A patch that is no object is refused as such, not spread into the stored fields.
    const isObject = patch !== null && typeof patch === 'object' && !Array.isArray(patch);
    const data = this.parse(isObject ? { ...fields, ...patch } : patch);
    await this.checkReferences(data, current.folders);
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

  async usingTemplate(templateId: string): Promise<Array<{ workflowId: string; name: string }>> {
    return (await this.list())
      .filter((w) => w.nodes.some((n) => n.templateId === templateId))
      .map((w) => ({ workflowId: w.workflowId, name: w.name }));
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
