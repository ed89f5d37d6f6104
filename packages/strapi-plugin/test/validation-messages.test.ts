// The admin formats core's validation issues with react-intl by message id: in English it must render exactly
// core's message (what the API and CLI say), and zh-Hans must translate every id with the same placeholders.
import {
  applyOverrides,
  parseTemplate,
  type TemplateValidationError,
  unknownFolderIssue,
  VALIDATION_MESSAGES,
  type ValidationIssue,
  validateTemplate,
  validateWorkflow,
} from '@dynamic-image/core';
import { createIntl } from 'react-intl';
import { describe, expect, it } from 'vitest';
import en from '../admin/src/translations/en.json';
import zh from '../admin/src/translations/zh-Hans.json';
import { formatIssue } from '../admin/src/utils/issues';
import { getTranslation } from '../admin/src/utils/t';

const prefixed = (messages: Record<string, string>) =>
  Object.fromEntries(Object.entries(messages).map(([k, v]) => [getTranslation(k), v]));
const intlEn = createIntl({ locale: 'en', messages: prefixed(en) });
const intlZh = createIntl({
  locale: 'zh-Hans',
  messages: prefixed(zh),
  onError: (e) => {
    throw e;
  },
});

const v = { name: 'good_name', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 2 };
const inputs: unknown[] = [
  'nope',
  { ...v, name: undefined, colour: 'red', duration: undefined, trimEnd: 3 },
  { ...v, name: 'abc', format: 'bmp', fps: 61, width: 5000, height: 'big', version: 3, profile: 'best' },
  {
    ...v,
    name: 'bad name!',
    captureMethod: 'everything',
    fps: 2.5,
    start: true,
    setAsDefaultThumbnail: 'yes',
  },
  { ...v, name: 42, start: 90000, duration: 0 },
  { ...v, start: 1.0001 },
  { ...v, start: '25:00:00', width: 64.5 },
  { ...v, loopCount: -1, speed: 1.005, boomerang: 'yes', sizeMode: 'tall' },
  { ...v, gifColors: 3, gifDither: 1.5, webpQuality: 50 },
  { ...v, format: 'webp', webpLossless: true, webpQuality: 50 },
  { ...v, maxBytes: 100 },
  { ...v, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 1, start: 'auto' },
];

const workflowInputs: unknown[] = [
  'nope',
  { name: ' ', nodes: [], enabled: 'yes', folders: 'all', colour: 'red' },
  { name: 'w', nodes: ['a1', { templateId: '' }], folders: [0] },
];

function issues(): ValidationIssue[] {
  const all = inputs.flatMap((input) => {
    const r = validateTemplate(input);
    return r.ok ? [] : r.issues;
  });
  try {
    applyOverrides(parseTemplate(v), { fps: 0 });
  } catch (err) {
    all.push(...(err as TemplateValidationError).issues);
  }
  for (const input of workflowInputs) {
    const r = validateWorkflow(input);
    if (!r.ok) all.push(...r.issues);
  }
  all.push(unknownFolderIssue([7], 7));
  return all;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('validation messages in the admin', () => {
  const all = issues();

  it('the inputs reach every message id but the fallback', () => {
    const ids = new Set(all.map((i) => i.messageId));
    for (const id of Object.keys(VALIDATION_MESSAGES)) if (id !== 'other') expect(ids).toContain(id);
  });

  it.each(all.map((i) => [i.message, i] as const))("English renders core's message: %s", (_, issue) => {
    expect(formatIssue(intlEn.formatMessage, issue)).toBe(issue.message);
  });

  it("en.json holds core's English text for every id", () => {
    for (const [id, text] of Object.entries(VALIDATION_MESSAGES))
      expect((en as Record<string, string>)[`validation.${id}`]).toBe(text);
  });

  it('zh-Hans translates every id with the same placeholders', () => {
    for (const [id, text] of Object.entries(VALIDATION_MESSAGES)) {
      const zhText = (zh as Record<string, string>)[`validation.${id}`];
      expect(zhText, id).toBeDefined();
      expect(zhText).not.toBe(text);
      expect(placeholders(zhText as string), id).toEqual(placeholders(text));
    }
    for (const issue of all) {
      const text = formatIssue(intlZh.formatMessage, issue);
      expect(text).not.toBe(issue.message);
      expect(text).not.toMatch(/\{\w+\}/);
      const body: Record<string, string> = { '(template)': '模板', '(workflow)': '工作流' };
      expect(text).toContain(body[issue.field] ?? issue.field);
    }
  });

  it('an issue not made by core keeps its message', () => {
    const issue = { field: 'name', rule: 'server', message: 'name is taken', value: null };
    expect(formatIssue(intlZh.formatMessage, issue)).toBe('name is taken');
  });
});
