import { z } from 'zod';
import {
  type IssueWording,
  type RuleText,
  toValidationIssues,
  type ValidationIssue,
  validationIssue,
} from './template.js';

/** The limits of a workflow, for the schema, the API and the admin UI. */
export const WORKFLOW_LIMITS = {
  nameMin: 1,
  nameMax: 128,
  nodesMin: 1,
  nodesMax: 20,
  foldersMax: 100,
} as const;

const L = WORKFLOW_LIMITS;

export const workflowInputSchema = z.strictObject({
  name: z.string().trim().min(L.nameMin).max(L.nameMax),
  nodes: z
    .array(z.strictObject({ templateId: z.string().min(1) }))
    .min(L.nodesMin)
    .max(L.nodesMax),
  enabled: z.boolean().default(true),
  /** Media Library folder ids: a video uploaded into one of them runs this workflow. */
  folders: z.array(z.number().int().positive()).max(L.foldersMax).default([]),
});

export type WorkflowInput = z.input<typeof workflowInputSchema>;
export type Workflow = z.output<typeof workflowInputSchema>;

const nodeList: RuleText = ['nodeList', { min: L.nodesMin, max: L.nodesMax }];
const folderList: RuleText = ['folderList', { max: L.foldersMax }];

/** Workflow issues read like template issues: the same shape, message ids and params. */
const WORKFLOW_WORDING: IssueWording = {
  body: '(workflow)',
  object: 'workflowObject',
  unknownField: 'unknownWorkflowField',
  fields: {
    name: { length: ['length', { min: L.nameMin, max: L.nameMax }], '*': ['string'] },
    nodes: { '*': nodeList },
    'nodes.*': { '*': ['templateNode'] },
    'nodes.*.templateId': { '*': ['templateId'] },
    enabled: { '*': ['boolean'] },
    folders: { '*': folderList },
    'folders.*': { '*': ['folderId'] },
  },
};

/** A workflow's fields checked, or every problem as validation issues, worded as a template's are. */
export function validateWorkflow(
  input: unknown,
): { ok: true; workflow: Workflow } | { ok: false; issues: ValidationIssue[] } {
  const parsed = workflowInputSchema.safeParse(input);
  return parsed.success
    ? { ok: true, workflow: parsed.data }
    : { ok: false, issues: toValidationIssues(parsed.error, input, '', WORKFLOW_WORDING) };
}

/** The issue of a folder binding that names a folder the Media Library doesn't have. */
export function unknownFolderIssue(folders: readonly number[], missing: number): ValidationIssue {
  return validationIssue('folders', 'exists', folders, 'folderNotFound', { id: missing });
}
