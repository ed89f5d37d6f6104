import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  overrideParamsSchema,
  parseTemplate,
  TemplateValidationError,
  templateInputSchema,
  templateJsonSchema,
  type ValidationIssue,
  validateTemplate,
} from '../src/index.js';

const valid = {
  name: 'social-clip',
  format: 'gif',
  fps: 10,
  captureMethod: 'byDuration',
  start: 0,
  duration: 3,
};

function issuesOf(input: unknown): ValidationIssue[] {
  const result = validateTemplate(input);
  return result.ok ? [] : result.issues;
}

function expectIssue(input: Record<string, unknown>, field: string, rule: string) {
  const issues = issuesOf(input);
  const issue = issues.find((i) => i.field === field);
  expect(issue, JSON.stringify(issues)).toBeDefined();
  expect(issue?.rule).toBe(rule);
  expect(issue?.message).toContain(field);
  if (issue?.value !== undefined) expect(issue.message).toContain(JSON.stringify(issue.value));
}

describe('template rules', () => {
  it('accepts a valid template and applies defaults', () => {
    expect(parseTemplate(valid)).toEqual({ ...valid, version: 2, setAsDefaultThumbnail: false });
  });

  it.each([
    ['abc', 'length'],
    ['abcd', null],
    ['a'.repeat(64), null],
    ['a'.repeat(65), 'length'],
    ['with space', 'pattern'],
    ['héllo', 'pattern'],
    ['ok_name-1', null],
    [42, 'type'],
  ])('name %j → %s', (name, rule) => {
    if (rule) expectIssue({ ...valid, name }, 'name', rule);
    else expect(issuesOf({ ...valid, name })).toEqual([]);
  });

  it.each([
    ['gif', null],
    ['webp', null],
    ['png', 'enum'],
    ['GIF', 'enum'],
    [undefined, 'required'],
  ])('format %j → %s', (format, rule) => {
    if (rule) expectIssue({ ...valid, format }, 'format', rule);
    else expect(issuesOf({ ...valid, format })).toEqual([]);
  });

  it.each([
    [0, 'range'],
    [1, null],
    [60, null],
    [61, 'range'],
    [-5, 'range'],
    [12.5, 'integer'],
    ['12', 'type'],
    [Number.NaN, 'type'],
  ])('fps %j → %s', (fps, rule) => {
    if (rule) expectIssue({ ...valid, fps }, 'fps', rule);
    else expect(issuesOf({ ...valid, fps })).toEqual([]);
  });

  it.each([
    ['width', 127, 'range'],
    ['width', 128, null],
    ['width', 4096, null],
    ['width', 4097, 'range'],
    ['width', 300.5, 'integer'],
    ['height', 127, 'range'],
    ['height', 4097, 'range'],
    ['height', '480', 'type'],
  ])('%s %j → %s', (field, value, rule) => {
    const input = { ...valid, [field]: value };
    if (rule) expectIssue(input, field, rule);
    else expect(issuesOf(input)).toEqual([]);
  });

  it.each([
    ['start', -1, 'range'],
    ['start', 0, null],
    ['start', 86399.999, null],
    ['start', 86400, 'range'],
    ['start', 1.0005, 'precision'],
    ['start', 0.1 + 0.2, null],
    ['start', '00:00:03.250', null],
    ['start', '23:59:59.999', null],
    ['start', '24:00:00', 'timeFormat'],
    ['start', '00:60:00', 'timeFormat'],
    ['start', '00:00:03.2500', 'timeFormat'],
    ['start', '3.5', 'timeFormat'],
    ['start', 'auto', null],
    ['start', 'AUTO', 'timeFormat'],
    ['duration', 0, 'range'],
    ['duration', 86400, 'range'],
    ['duration', true, 'type'],
  ])('%s %j → %s', (field, value, rule) => {
    const input = { ...valid, [field]: value };
    if (rule) expectIssue(input, field, rule);
    else expect(issuesOf(input)).toEqual([]);
  });

  it('keeps start "auto" for byDuration and refuses it when trimming the end', () => {
    expect(parseTemplate({ ...valid, start: 'auto' }).start).toBe('auto');
    const trim = { ...valid, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 2, start: 'auto' };
    expectIssue(trim, 'start', 'notAllowed');
    expect(issuesOf(trim)[0]?.message).toBe(
      'start "auto" needs captureMethod byDuration, not trimBeginEnd; got "auto"',
    );
  });

  it('accepts start "auto" as an override, and refuses it over a trimBeginEnd template', () => {
    const template = parseTemplate(valid);
    expect(applyOverrides(template, { start: 'auto' }).start).toBe('auto');
    const trim = parseTemplate({ ...valid, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 1 });
    expect(() => applyOverrides(trim, { start: 'auto' })).toThrow(
      'overrideParams.start "auto" needs captureMethod byDuration, not trimBeginEnd; got "auto"',
    );
  });

  it('normalises VOD time strings to seconds', () => {
    expect(parseTemplate({ ...valid, start: '00:01:02.5', duration: '00:00:03' })).toMatchObject({
      start: 62.5,
      duration: 3,
    });
  });

  it('requires each method its own field and refuses the other one', () => {
    expectIssue({ ...valid, duration: undefined }, 'duration', 'required');
    expectIssue({ ...valid, trimEnd: 2 }, 'trimEnd', 'notAllowed');
    const trim = { ...valid, captureMethod: 'trimBeginEnd', duration: undefined, trimEnd: 2 };
    expect(issuesOf(trim)).toEqual([]);
    expectIssue({ ...trim, trimEnd: undefined }, 'trimEnd', 'required');
    expectIssue({ ...trim, duration: 3 }, 'duration', 'notAllowed');
    expectIssue({ ...valid, captureMethod: 'fromTheMiddle' }, 'captureMethod', 'enum');
  });

  it('refuses unknown fields and non-boolean flags', () => {
    expectIssue({ ...valid, loop: 3 }, 'loop', 'unknownField');
    expectIssue({ ...valid, setAsDefaultThumbnail: 'yes' }, 'setAsDefaultThumbnail', 'type');
  });

  it('reports every problem at once', () => {
    const issues = issuesOf({ name: 'x', format: 'bmp', fps: 99, captureMethod: 'byDuration', trimEnd: 1 });
    expect(issues.map((i) => i.field).sort()).toEqual(['duration', 'format', 'fps', 'name', 'trimEnd']);
  });

  it('throws a TemplateValidationError with code INVALID_TEMPLATE', () => {
    expect(() => parseTemplate({ ...valid, fps: 0 })).toThrow(TemplateValidationError);
    try {
      parseTemplate({ ...valid, fps: 0 });
    } catch (err) {
      expect((err as TemplateValidationError).code).toBe('INVALID_TEMPLATE');
      expect((err as Error).message).toContain('fps');
    }
  });

  it('never accepts a template that breaks a rule (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          name: fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{4,64}$/)),
          format: fc.constantFrom('gif', 'webp', 'png'),
          fps: fc.oneof(fc.integer({ min: -5, max: 70 }), fc.double({ noNaN: false })),
          width: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
          captureMethod: fc.constantFrom('byDuration', 'trimBeginEnd'),
          start: fc.oneof(fc.double({ min: -1, max: 90000 }), fc.integer({ min: 0, max: 86399 })),
          duration: fc.option(fc.double({ min: 0, max: 90000 }), { nil: undefined }),
        }),
        (input) => {
          const result = validateTemplate(input);
          if (!result.ok) return result.issues.every((i) => i.message.includes(i.field));
          const t = result.template;
          return (
            /^[A-Za-z0-9_-]{4,64}$/.test(t.name) &&
            Number.isInteger(t.fps) &&
            t.fps > 0 &&
            t.fps <= 60 &&
            (t.width === undefined || (t.width >= 128 && t.width <= 4096)) &&
            typeof t.start === 'number' &&
            t.start >= 0 &&
            t.start <= 86399.999 &&
            (t.captureMethod === 'byDuration'
              ? t.duration !== undefined && t.duration > 0
              : t.trimEnd !== undefined)
          );
        },
      ),
    );
  });
});

describe('overrides', () => {
  const template = parseTemplate(valid);

  it('merges and re-validates', () => {
    expect(applyOverrides(template, { fps: 24, width: 640 })).toMatchObject({
      fps: 24,
      width: 640,
      duration: 3,
    });
  });

  it('switching the capture method drops the old field', () => {
    const t = applyOverrides(template, { captureMethod: 'trimBeginEnd', trimEnd: 1 });
    expect(t).toMatchObject({ captureMethod: 'trimBeginEnd', trimEnd: 1 });
    expect(t).not.toHaveProperty('duration');
  });

  it('overrides setAsDefaultThumbnail either way, and refuses a non-boolean by its rule', () => {
    const cover = parseTemplate({ ...valid, setAsDefaultThumbnail: true });
    expect(applyOverrides(cover, { setAsDefaultThumbnail: false }).setAsDefaultThumbnail).toBe(false);
    expect(applyOverrides(template, { setAsDefaultThumbnail: true }).setAsDefaultThumbnail).toBe(true);
    expect(() => applyOverrides(template, { setAsDefaultThumbnail: 'no' })).toThrow(
      'overrideParams.setAsDefaultThumbnail must be a boolean; got "no"',
    );
  });

  it('can override every template field but the name and the version', () => {
    const fields = Object.keys(templateInputSchema.shape).filter((f) => f !== 'name' && f !== 'version');
    expect(Object.keys(overrideParamsSchema.shape).sort()).toEqual(fields.sort());
  });

  it('names override fields with the overrideParams prefix', () => {
    try {
      applyOverrides(template, { fps: 99, bogus: true });
      expect.unreachable();
    } catch (err) {
      const issues = (err as TemplateValidationError).issues;
      expect(issues.map((i) => [i.field, i.rule])).toEqual([
        ['overrideParams.fps', 'range'],
        ['overrideParams.bogus', 'unknownField'],
      ]);
    }
  });
});

describe('JSON Schema', () => {
  it('carries the limits of core', () => {
    const props = (templateJsonSchema as { properties: Record<string, Record<string, unknown>> }).properties;
    expect(props.fps).toMatchObject({ type: 'integer', minimum: 1, maximum: 60 });
    expect(props.width).toMatchObject({ minimum: 128, maximum: 4096 });
    expect(props.name).toMatchObject({ minLength: 4, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
    expect(props.format).toMatchObject({ enum: ['gif', 'webp'] });
    expect(JSON.stringify(props.start)).toContain('86399.999');
    expect((templateJsonSchema as { additionalProperties: boolean }).additionalProperties).toBe(false);
    expect(JSON.parse(JSON.stringify(templateJsonSchema))).toEqual(templateJsonSchema);
  });
});
