// Each message id's English text is the message the API and CLI have always given, with the rule's params.
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  parseTemplate,
  type TemplateValidationError,
  unknownFolderIssue,
  VALIDATION_MESSAGES,
  type ValidationIssue,
  validateTemplate,
  validateWorkflow,
} from '../src/index.js';

const v = { name: 'good_name', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 2 };

const cases: Array<[unknown, Partial<ValidationIssue>]> = [
  [
    { ...v, name: undefined },
    { messageId: 'required', params: {}, message: 'name is required' },
  ],
  [
    { ...v, duration: undefined },
    {
      messageId: 'requiredFor',
      params: { method: 'byDuration' },
      message: 'duration is required when captureMethod is byDuration',
    },
  ],
  [
    { ...v, trimEnd: 3 },
    {
      messageId: 'notAllowed',
      params: { method: 'byDuration', otherMethod: 'trimBeginEnd' },
      message: 'trimEnd is not allowed when captureMethod is byDuration (it belongs to trimBeginEnd); got 3',
    },
  ],
  [
    { ...v, duration: 0 },
    { rule: 'range', messageId: 'greaterThanZero', message: 'duration must be greater than 0; got 0' },
  ],
  [
    { ...v, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 1, start: 'auto' },
    {
      rule: 'notAllowed',
      messageId: 'autoStart',
      params: { method: 'trimBeginEnd' },
      message: 'start "auto" needs captureMethod byDuration, not trimBeginEnd; got "auto"',
    },
  ],
  [
    { ...v, colour: 'red' },
    { rule: 'unknownField', messageId: 'unknownField', message: 'colour is not a template field; got "red"' },
  ],
  [
    'nope',
    { field: '(template)', messageId: 'object', message: 'the template must be an object; got "nope"' },
  ],
  [
    { ...v, name: 'abc' },
    {
      rule: 'length',
      messageId: 'length',
      params: { min: 4, max: 64 },
      message: 'name must be 4 to 64 characters; got "abc"',
    },
  ],
  [
    { ...v, name: 'bad name!' },
    {
      rule: 'pattern',
      messageId: 'namePattern',
      message: 'name may only contain letters, digits, _ and -; got "bad name!"',
    },
  ],
  [
    { ...v, name: 42 },
    { rule: 'type', messageId: 'string', message: 'name must be a string; got 42' },
  ],
  [
    { ...v, setAsDefaultThumbnail: 'yes' },
    { messageId: 'boolean', message: 'setAsDefaultThumbnail must be a boolean; got "yes"' },
  ],
  [
    { ...v, format: 'bmp' },
    {
      rule: 'enum',
      messageId: 'oneOf',
      params: { first: 'gif', second: 'webp' },
      message: 'format must be gif or webp; got "bmp"',
    },
  ],
  [
    { ...v, captureMethod: 'everything' },
    { messageId: 'oneOf', message: 'captureMethod must be byDuration or trimBeginEnd; got "everything"' },
  ],
  [
    { ...v, profile: 'best' },
    {
      messageId: 'oneOfList',
      params: { values: 'balanced, quality, small, fast' },
      message: 'profile must be one of balanced, quality, small, fast; got "best"',
    },
  ],
  [
    { ...v, loopCount: -1 },
    {
      rule: 'range',
      messageId: 'integerBetween',
      params: { min: 0, max: 65535 },
      message: 'loopCount must be an integer in [0, 65535]; got -1',
    },
  ],
  [
    { ...v, speed: 8 },
    {
      rule: 'range',
      messageId: 'speed',
      params: { min: 0.25, max: 4 },
      message: 'speed must be a number from 0.25 to 4 with at most two decimals; got 8',
    },
  ],
  [
    { ...v, speed: 1.005 },
    {
      rule: 'precision',
      messageId: 'speed',
      message: 'speed must be a number from 0.25 to 4 with at most two decimals; got 1.005',
    },
  ],
  [
    { ...v, gifDither: 1.5 },
    {
      rule: 'range',
      messageId: 'dither',
      params: { min: 0, max: 1 },
      message: 'gifDither must be a number from 0 to 1 with at most two decimals; got 1.5',
    },
  ],
  [
    { ...v, webpQuality: 50 },
    {
      rule: 'notAllowed',
      messageId: 'formatOnly',
      params: { format: 'gif', fieldFormat: 'webp' },
      message: 'webpQuality applies to webp templates only, and format is gif; got 50',
    },
  ],
  [
    { ...v, format: 'webp', webpLossless: true, webpQuality: 50 },
    {
      rule: 'notAllowed',
      messageId: 'losslessQuality',
      message: 'webpQuality is not allowed with webpLossless (a lossless WebP has no quality); got 50',
    },
  ],
  [
    { ...v, boomerang: 'yes' },
    { rule: 'type', messageId: 'boolean', message: 'boomerang must be a boolean; got "yes"' },
  ],
  [
    { ...v, sizeMode: 'height' },
    {
      rule: 'enum',
      messageId: 'oneOf',
      message: 'sizeMode must be widthHeight or longSide; got "height"',
    },
  ],
  [
    { ...v, version: 3 },
    { messageId: 'oneOf', params: { first: 1, second: 2 }, message: 'version must be 1 or 2; got 3' },
  ],
  [
    { ...v, fps: 61 },
    {
      rule: 'range',
      messageId: 'integerUpTo',
      params: { max: 60 },
      message: 'fps must be an integer in (0, 60]; got 61',
    },
  ],
  [
    { ...v, fps: 2.5 },
    { rule: 'integer', messageId: 'integerUpTo', message: 'fps must be an integer in (0, 60]; got 2.5' },
  ],
  [
    { ...v, width: 5000 },
    {
      messageId: 'integerBetween',
      params: { min: 128, max: 4096 },
      message: 'width must be an integer in [128, 4096]; got 5000',
    },
  ],
  [
    { ...v, height: 'big' },
    {
      rule: 'type',
      messageId: 'integerBetween',
      message: 'height must be an integer in [128, 4096]; got "big"',
    },
  ],
  [
    { ...v, start: true },
    {
      messageId: 'timeType',
      message: 'start must be a number of seconds or an hh:mm:ss[.SSS] string; got true',
    },
  ],
  [
    { ...v, start: 90000 },
    {
      messageId: 'timeRange',
      params: { max: 86399.999 },
      message: 'start must be within [0, 86399.999] seconds; got 90000',
    },
  ],
  [
    { ...v, start: 1.0001 },
    { messageId: 'timePrecision', message: 'start must have at most millisecond precision; got 1.0001' },
  ],
  [
    { ...v, start: '25:00:00' },
    {
      rule: 'timeFormat',
      messageId: 'timeFormat',
      message: 'start must be an hh:mm:ss[.SSS] string up to 23:59:59.999; got "25:00:00"',
    },
  ],
];

const workflow = { name: 'social', nodes: [{ templateId: 'a1' }] };
const workflowCases: Array<[unknown, Partial<ValidationIssue>]> = [
  [
    'nope',
    {
      field: '(workflow)',
      messageId: 'workflowObject',
      message: 'the workflow must be an object; got "nope"',
    },
  ],
  [{ nodes: workflow.nodes }, { field: 'name', rule: 'required', message: 'name is required' }],
  [
    { ...workflow, name: ' ' },
    {
      field: 'name',
      rule: 'length',
      params: { min: 1, max: 128 },
      message: 'name must be 1 to 128 characters; got " "',
    },
  ],
  [
    { ...workflow, name: 7 },
    { field: 'name', rule: 'type', messageId: 'string', message: 'name must be a string; got 7' },
  ],
  [
    { ...workflow, nodes: [] },
    {
      field: 'nodes',
      rule: 'range',
      messageId: 'nodeList',
      params: { min: 1, max: 20 },
      value: [],
      message: 'nodes must be a list of 1 to 20 template nodes; got []',
    },
  ],
  [
    { ...workflow, nodes: 'a1' },
    {
      field: 'nodes',
      rule: 'type',
      messageId: 'nodeList',
      message: 'nodes must be a list of 1 to 20 template nodes; got "a1"',
    },
  ],
  [
    { ...workflow, nodes: ['a1'] },
    {
      field: 'nodes.0',
      messageId: 'templateNode',
      message: 'nodes.0 must be a template node with a templateId; got "a1"',
    },
  ],
  [
    { ...workflow, nodes: [{ templateId: '' }] },
    {
      field: 'nodes.0.templateId',
      messageId: 'templateId',
      message: 'nodes.0.templateId must be a template id; got ""',
    },
  ],
  [
    { ...workflow, nodes: [{ templateId: 'a1', at: 2 }] },
    { field: 'nodes.0.at', rule: 'unknownField', message: 'nodes.0.at is not a workflow field; got 2' },
  ],
  [
    { ...workflow, enabled: 'yes' },
    { field: 'enabled', messageId: 'boolean', message: 'enabled must be a boolean; got "yes"' },
  ],
  [
    { ...workflow, folders: { $ne: 1 } },
    { field: 'folders', messageId: 'folderList', params: { max: 100 }, value: { $ne: 1 } },
  ],
  [
    { ...workflow, folders: [3, -1] },
    {
      field: 'folders.1',
      rule: 'range',
      messageId: 'folderId',
      message: 'folders.1 must be a Media Library folder id (a positive integer); got -1',
    },
  ],
  [
    { ...workflow, colour: 'red' },
    {
      field: 'colour',
      messageId: 'unknownWorkflowField',
      message: 'colour is not a workflow field; got "red"',
    },
  ],
];

describe('validation messages', () => {
  it.each(cases)('%j gives the message of its id with its params', (input, expected) => {
    const result = validateTemplate(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject(expected);
  });

  it.each(workflowCases)("%j, as a workflow, gives its id's message too", (input, expected) => {
    const result = validateWorkflow(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject(expected);
  });

  it('covers every message id but the fallback', () => {
    const seen = new Set(
      [...cases, ...workflowCases, [null, unknownFolderIssue([9], 9)] as const]
        .map(([, e]) => e.messageId)
        .filter(Boolean),
    );
    expect([...seen].sort()).toEqual(
      Object.keys(VALIDATION_MESSAGES)
        .filter((id) => id !== 'other')
        .sort(),
    );
  });

  it('keeps id and params on overrides, with the prefixed field in the message', () => {
    const template = parseTemplate(v);
    try {
      applyOverrides(template, { fps: 0, captureMethod: 'trimBeginEnd' });
      expect.unreachable();
    } catch (err) {
      const issues = (err as TemplateValidationError).issues;
      expect(issues).toContainEqual({
        field: 'overrideParams.fps',
        rule: 'range',
        messageId: 'integerUpTo',
        params: { max: 60 },
        message: 'overrideParams.fps must be an integer in (0, 60]; got 0',
        value: 0,
      });
    }
    try {
      applyOverrides(template, { duration: 0 });
      expect.unreachable();
    } catch (err) {
      expect((err as TemplateValidationError).issues).toEqual([
        {
          field: 'overrideParams.duration',
          rule: 'range',
          messageId: 'greaterThanZero',
          params: {},
          message: 'overrideParams.duration must be greater than 0; got 0',
          value: 0,
        },
      ]);
    }
  });
});
