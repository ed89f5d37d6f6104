// Workflow rows: read here, so settings (which checks a default workflow) doesn't call the workflows
// service, which reads the settings for the default workflow of an upload.
import type { Core } from '@strapi/strapi';
import { notFound } from '../errors';
import { jsonColumn } from './json';

export const WORKFLOW = 'plugin::dynamic-image.workflow';

export interface WorkflowRecord {
  workflowId: string;
  name: string;
  nodes: Array<{ templateId: string }>;
  enabled: boolean;
  folders: number[];
  createdAt?: string;
  updatedAt?: string;
}

export function toWorkflow(row: Record<string, unknown>): WorkflowRecord {
  return {
    workflowId: row.workflowId as string,
    name: row.name as string,
    nodes: jsonColumn<WorkflowRecord['nodes'] | null>(row.nodes) ?? [],
    enabled: row.enabled !== false,
    folders: jsonColumn<number[] | null>(row.folders) ?? [],
    createdAt: row.createdAt as string,
    updatedAt: row.updatedAt as string,
  };
}

export async function getWorkflow(strapi: Core.Strapi, workflowId: string): Promise<WorkflowRecord> {
  const row = await strapi.db.query(WORKFLOW).findOne({ where: { workflowId } });
  if (!row) throw notFound('Workflow', workflowId);
  return toWorkflow(row);
}

/** The workflow with this id, else the one with this name (names are unique): where a person may name it. */
export async function findWorkflow(strapi: Core.Strapi, ref: string): Promise<WorkflowRecord> {
  const row =
    (await strapi.db.query(WORKFLOW).findOne({ where: { workflowId: ref } })) ??
    (await strapi.db.query(WORKFLOW).findOne({ where: { name: ref } }));
  if (!row) throw notFound('Workflow', ref);
  return toWorkflow(row);
}
