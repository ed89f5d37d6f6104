// A workflow's refusals read like a template's: one issue per field and rule, with a message id and params.
import { describe, expect, it } from 'vitest';
import { unknownFolderIssue, type ValidationIssue, validateWorkflow } from '../src/index.js';

const valid = { name: 'social', nodes: [{ templateId: 'a1' }] };

function issuesOf(input: unknown): ValidationIssue[] {
  const result = validateWorkflow(input);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return result.issues;
}

describe('workflow validation', () => {
  it('accepts a workflow, enabled and unbound unless told', () => {
    expect(validateWorkflow({ ...valid, name: '  social ' })).toEqual({
      ok: true,
      workflow: { name: 'social', nodes: [{ templateId: 'a1' }], enabled: true, folders: [] },
    });
  });

  it('lists every problem, not only the first', () => {
    expect(issuesOf({ name: '', nodes: [], enabled: 1 }).map((i) => i.field)).toEqual([
      'name',
      'nodes',
      'enabled',
    ]);
  });

  it('names a folder binding to a folder that does not exist', () => {
    expect(unknownFolderIssue([4, 999], 999)).toEqual({
      field: 'folders',
      rule: 'exists',
      value: [4, 999],
      messageId: 'folderNotFound',
      params: { id: 999 },
      message: 'folders names folder 999, which does not exist; got [4,999]',
    });
  });
});
