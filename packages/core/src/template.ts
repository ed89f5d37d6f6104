import { z } from 'zod';
import { ENCODER_PROFILES } from './encoder.js';
import {
  checkEncoderControls,
  ENCODER_CONTROL_FORMAT,
  ENCODER_CONTROL_LIMITS,
  ENCODER_CONTROLS,
  encoderControlFields,
  encoderControlsJsonSchema,
} from './encoder-controls.js';
import { DynamicImageError } from './errors.js';
import { SIZE_BUDGET_LIMITS } from './size-budget.js';
import { MAX_TIME_SECONDS, TIME_RULE_TEXT, timeOrWordSchema, timeSchema } from './time.js';

/** The limits of a template, in one place for the schema, the API and the admin UI. */
export const TEMPLATE_LIMITS = {
  nameMin: 4,
  nameMax: 64,
  namePattern: '^[A-Za-z0-9_-]+$',
  fpsMin: 1,
  fpsMax: 60,
  sizeMin: 128,
  sizeMax: 4096,
  timeMax: MAX_TIME_SECONDS,
  /** GIF delays are whole centiseconds and browsers stretch delays under 2 cs. */
  gifMaxPlayableFps: 50,
  /** GIF's loop field and WebP's ANIM loop count are 16-bit. */
  loopCountMax: 65535,
  speedMin: 0.25,
  speedMax: 4,
} as const;

/**
 * 2 added `profile` (encoder profiles). A version 1 template is still accepted as it was: without a
 * profile it is encoded with the settings it always had (encoder.ts, chooseEncoder).
 */
export const TEMPLATE_VERSION = 2;
export const TEMPLATE_VERSIONS = [1, 2] as const;
export const FORMATS = ['gif', 'webp'] as const;
export const CAPTURE_METHODS = ['byDuration', 'trimBeginEnd'] as const;
/** `widthHeight`: width and height are the output's; `longSide`: width is the long side, height the short. */
export const SIZE_MODES = ['widthHeight', 'longSide'] as const;
export type SizeMode = (typeof SIZE_MODES)[number];
export type DynamicImageFormat = (typeof FORMATS)[number];
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

/** Each capture method's own time field; the other method's field is refused, not ignored. */
export const CAPTURE_METHOD_FIELD = { byDuration: 'duration', trimBeginEnd: 'trimEnd' } as const;

const size = z.number().int().min(TEMPLATE_LIMITS.sizeMin).max(TEMPLATE_LIMITS.sizeMax);
/** Hundredths at most: the rate ffmpeg is given (fps × speed) stays an exact fraction. */
const speed = z.number().min(TEMPLATE_LIMITS.speedMin).max(TEMPLATE_LIMITS.speedMax).multipleOf(0.01);

/** The value of `start` that asks for an automatic highlight. */
export const AUTO_START = 'auto';
const startSchema = timeOrWordSchema(AUTO_START);

const templateFields = {
  version: z.literal(TEMPLATE_VERSIONS).default(TEMPLATE_VERSION),
  name: z
    .string()
    .min(TEMPLATE_LIMITS.nameMin)
    .max(TEMPLATE_LIMITS.nameMax)
    .regex(new RegExp(TEMPLATE_LIMITS.namePattern)),
  format: z.enum(FORMATS),
  fps: z.number().int().min(TEMPLATE_LIMITS.fpsMin).max(TEMPLATE_LIMITS.fpsMax),
  width: size.optional(),
  height: size.optional(),
  captureMethod: z.enum(CAPTURE_METHODS),
  /** A time, or `auto`: the worker chooses the most active window (highlight.ts; byDuration only). */
  start: startSchema.default(0),
  duration: timeSchema.optional(),
  trimEnd: timeSchema.optional(),
  setAsDefaultThumbnail: z.boolean().default(false),
  /** What the encoder aims for; absent means `balanced` (or, on a version 1 template, its old settings). */
  profile: z.enum(ENCODER_PROFILES).optional(),
  // Playback and orientation (issue 16): optional, and absent means what a template without them always
  // made, so older templates and their snapshots stay as they were (no version bump).
  /** Plays in all, 0 = forever (absent: forever). Written per format by core's playback.ts. */
  loopCount: z.number().int().min(0).max(TEMPLATE_LIMITS.loopCountMax).optional(),
  /** Playback speed apart from sampling: frame delays are 1 / (fps × speed) (absent: 1). */
  speed: speed.optional(),
  /** Forward, then backward without repeating the end frames (absent: false). */
  boomerang: z.boolean().optional(),
  /** How width and height are read (absent: widthHeight). */
  sizeMode: z.enum(SIZE_MODES).optional(),
  // Fine encoder controls (issue 16), each over its profile's value; same rule: absent changes nothing.
  ...encoderControlFields,
  /** The most the file may weigh, in bytes: over it, quality, fps and size are lowered (size-budget.ts). */
  maxBytes: z
    .number()
    .int()
    .min(SIZE_BUDGET_LIMITS.maxBytesMin)
    .max(SIZE_BUDGET_LIMITS.maxBytesMax)
    .optional(),
};

function checkCaptureMethod(
  value: {
    captureMethod?: CaptureMethod | undefined;
    start?: number | typeof AUTO_START | undefined;
    duration?: number | undefined;
    trimEnd?: number | undefined;
  },
  ctx: z.RefinementCtx,
  prefix: string,
): void {
  if (value === null || typeof value !== 'object') return;
  const method = value.captureMethod;
  if (!method || !Object.hasOwn(CAPTURE_METHOD_FIELD, method)) return;
  const own = CAPTURE_METHOD_FIELD[method];
  const other = own === 'duration' ? 'trimEnd' : 'duration';
  if (value[own] === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [own],
      message: `${prefix}${own} is required when captureMethod is ${method}`,
      params: { rule: 'required', messageId: 'requiredFor', params: { method } },
    });
  }
  if (value[other] !== undefined) {
    const otherMethod = method === 'byDuration' ? 'trimBeginEnd' : 'byDuration';
    ctx.addIssue({
      code: 'custom',
      path: [other],
      message: `${prefix}${other} is not allowed when captureMethod is ${method} (it belongs to ${otherMethod})`,
      params: { rule: 'notAllowed', messageId: 'notAllowed', params: { method, otherMethod } },
      input: value[other],
    });
  }
  if (value.start === AUTO_START && method !== 'byDuration') {
    ctx.addIssue({
      code: 'custom',
      path: ['start'],
      message: `${prefix}start "auto" needs captureMethod byDuration (an automatic start has no end to trim from)`,
      params: { rule: 'notAllowed', messageId: 'autoStart', params: { method } },
      input: value.start,
    });
  }
  if (own === 'duration' && value.duration === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['duration'],
      message: `${prefix}duration must be greater than 0`,
      params: { rule: 'range', messageId: 'greaterThanZero' },
      input: 0,
    });
  }
}

export const templateInputSchema = z.strictObject(templateFields).superRefine(
  (value, ctx) => {
    checkCaptureMethod(value, ctx, '');
    checkEncoderControls(value, ctx, '');
  },
  {
    // Also when other fields fail, so one answer lists every problem.
    when: () => true,
  },
);

export type TemplateInput = z.input<typeof templateInputSchema>;
export type Template = z.output<typeof templateInputSchema>;

/**
 * Every validation message in English, by id: `{field}` and `{value}` (the value given, as JSON) plus the issue's
 * params. ICU-compatible, so the admin UI formats the same text with react-intl and translates it by id.
 */
export const VALIDATION_MESSAGES = {
  required: '{field} is required',
  requiredFor: '{field} is required when captureMethod is {method}',
  notAllowed:
    '{field} is not allowed when captureMethod is {method} (it belongs to {otherMethod}); got {value}',
  greaterThanZero: '{field} must be greater than 0; got {value}',
  autoStart: '{field} "auto" needs captureMethod byDuration, not {method}; got {value}',
  unknownField: '{field} is not a template field; got {value}',
  object: 'the template must be an object; got {value}',
  unknownWorkflowField: '{field} is not a workflow field; got {value}',
  workflowObject: 'the workflow must be an object; got {value}',
  nodeList: '{field} must be a list of {min} to {max} template nodes; got {value}',
  templateNode: '{field} must be a template node with a templateId; got {value}',
  templateId: '{field} must be a template id; got {value}',
  folderList: '{field} must be a list of up to {max} Media Library folder ids; got {value}',
  folderId: '{field} must be a Media Library folder id (a positive integer); got {value}',
  folderNotFound: '{field} names folder {id}, which does not exist; got {value}',
  length: '{field} must be {min} to {max} characters; got {value}',
  namePattern: '{field} may only contain letters, digits, _ and -; got {value}',
  string: '{field} must be a string; got {value}',
  boolean: '{field} must be a boolean; got {value}',
  oneOf: '{field} must be {first} or {second}; got {value}',
  oneOfList: '{field} must be one of {values}; got {value}',
  integerUpTo: '{field} must be an integer in (0, {max}]; got {value}',
  integerBetween: '{field} must be an integer in [{min}, {max}]; got {value}',
  speed: '{field} must be a number from {min} to {max} with at most two decimals; got {value}',
  formatOnly: '{field} applies to {fieldFormat} templates only, and format is {format}; got {value}',
  losslessQuality: '{field} is not allowed with webpLossless (a lossless WebP has no quality); got {value}',
  dither: '{field} must be a number from {min} to {max} with at most two decimals; got {value}',
  timeType: `{field} ${TIME_RULE_TEXT.type}; got {value}`,
  timeRange: '{field} must be within [0, {max}] seconds; got {value}',
  timePrecision: `{field} ${TIME_RULE_TEXT.precision}; got {value}`,
  timeFormat: `{field} ${TIME_RULE_TEXT.timeFormat}; got {value}`,
  /** A rule without its own text: zod's English, untranslated. */
  other: '{field} {text}; got {value}',
} as const;
export type ValidationMessageId = keyof typeof VALIDATION_MESSAGES;
export type ValidationParams = Record<string, string | number>;

export interface ValidationIssue {
  /** Dotted path, e.g. `fps` or `overrideParams.width`. */
  field: string;
  /** Machine rule: required, notAllowed, unknownField, type, integer, range, length, pattern, enum, precision, timeFormat. */
  rule: string;
  /** Names the field, the rule and the value given (English). */
  message: string;
  value: unknown;
  /** Which of VALIDATION_MESSAGES `message` is, for translation; absent on issues not made by core. */
  messageId?: ValidationMessageId;
  /** The rule's parameters in the message, e.g. `{ min: 4, max: 64 }`. */
  params?: ValidationParams;
}

/**
 * The values a message is formatted with: the issue's params, its field and its value as shown in English; all
 * strings, so a formatter doesn't group digits (4096, not 4,096).
 */
export function validationMessageValues(
  issue: Pick<ValidationIssue, 'field' | 'value' | 'params'>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, param] of Object.entries(issue.params ?? {})) values[key] = String(param);
  return { ...values, field: issue.field, value: show(issue.value) };
}

function formatValidationMessage(
  id: ValidationMessageId,
  issue: Pick<ValidationIssue, 'field' | 'value' | 'params'>,
): string {
  const values = validationMessageValues(issue);
  return VALIDATION_MESSAGES[id].replace(/\{(\w+)\}/g, (_, key: string) => String(values[key]));
}

/** Builds an issue whose message is its message id's English text. */
export function validationIssue(
  field: string,
  rule: string,
  value: unknown,
  messageId: ValidationMessageId,
  params: ValidationParams = {},
): ValidationIssue {
  const message = formatValidationMessage(messageId, { field, value, params });
  return { field, rule, message, value, messageId, params };
}

export type RuleText = [ValidationMessageId, ValidationParams?];

/**
 * How a schema's issues read: the body's name when the body itself is wrong, its messages for a body that is no
 * object and for an unknown field, and each field's texts by rule (`*`: any rule). A list's items are `list.*`.
 */
export interface IssueWording {
  body: string;
  object: ValidationMessageId;
  unknownField: ValidationMessageId;
  fields: Record<string, Record<string, RuleText>>;
}

const L = TEMPLATE_LIMITS;
const integerUpTo: RuleText = ['integerUpTo', { max: L.fpsMax }];
const sizeText: RuleText = ['integerBetween', { min: L.sizeMin, max: L.sizeMax }];
const formatText: RuleText = ['oneOf', { first: FORMATS[0], second: FORMATS[1] }];
const methodText: RuleText = ['oneOf', { first: CAPTURE_METHODS[0], second: CAPTURE_METHODS[1] }];
const versionText: RuleText = ['oneOf', { first: TEMPLATE_VERSIONS[0], second: TEMPLATE_VERSIONS[1] }];
const profileText: RuleText = ['oneOfList', { values: ENCODER_PROFILES.join(', ') }];
const loopText: RuleText = ['integerBetween', { min: 0, max: L.loopCountMax }];
const speedText: RuleText = ['speed', { min: L.speedMin, max: L.speedMax }];
const sizeModeText: RuleText = ['oneOf', { first: SIZE_MODES[0], second: SIZE_MODES[1] }];
const C = ENCODER_CONTROL_LIMITS;
const webpQualityText: RuleText = ['integerBetween', { min: C.webpQualityMin, max: C.webpQualityMax }];
const gifColorsText: RuleText = ['integerBetween', { min: C.gifColorsMin, max: C.gifColorsMax }];
const maxBytesText: RuleText = [
  'integerBetween',
  { min: SIZE_BUDGET_LIMITS.maxBytesMin, max: SIZE_BUDGET_LIMITS.maxBytesMax },
];
const gifDitherText: RuleText = ['dither', { min: C.gifDitherMin, max: C.gifDitherMax }];
const RULE_TEXT: Record<string, Record<string, RuleText>> = {
  name: {
    length: ['length', { min: L.nameMin, max: L.nameMax }],
    pattern: ['namePattern'],
    type: ['string'],
  },
  format: { enum: formatText, type: formatText },
  fps: { integer: integerUpTo, range: integerUpTo, type: integerUpTo },
  width: { integer: sizeText, range: sizeText, type: sizeText },
  height: { integer: sizeText, range: sizeText, type: sizeText },
  captureMethod: { enum: methodText, type: methodText },
  setAsDefaultThumbnail: { type: ['boolean'] },
  version: { enum: versionText, type: versionText },
  profile: { enum: profileText, type: profileText },
  loopCount: { '*': loopText },
  speed: { '*': speedText },
  boomerang: { type: ['boolean'] },
  sizeMode: { enum: sizeModeText, type: sizeModeText },
  webpQuality: { '*': webpQualityText },
  webpLossless: { type: ['boolean'] },
  gifColors: { '*': gifColorsText },
  gifDither: { '*': gifDitherText },
  maxBytes: { '*': maxBytesText },
};
const TIME_TEXT: Record<string, RuleText> = {
  type: ['timeType'],
  range: ['timeRange', { max: MAX_TIME_SECONDS }],
  precision: ['timePrecision'],
  timeFormat: ['timeFormat'],
  '*': ['timeType'],
};
const TEMPLATE_WORDING: IssueWording = {
  body: '(template)',
  object: 'object',
  unknownField: 'unknownField',
  fields: { ...RULE_TEXT, start: TIME_TEXT, duration: TIME_TEXT, trimEnd: TIME_TEXT },
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function ruleOf(issue: z.core.$ZodIssue, value: unknown): string {
  const custom = (issue as { params?: { rule?: string } }).params?.rule;
  if (custom) return custom;
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value'))
    return 'required';
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'integer' : 'type';
    case 'too_small':
    case 'too_big':
      return issue.origin === 'string' ? 'length' : 'range';
    case 'invalid_format':
      return 'pattern';
    case 'invalid_value':
      return 'enum';
    case 'not_multiple_of':
      return 'precision';
    default:
      return 'type';
  }
}

/** Turns zod's issues into ours: one per field and rule, each message naming the field, the rule and the value. */
export function toValidationIssues(
  error: z.ZodError,
  input: unknown,
  prefix = '',
  wording: IssueWording = TEMPLATE_WORDING,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = `${prefix}${[...issue.path, key].join('.')}`;
        const value = valueAt(input, [...issue.path, key]);
        issues.push(validationIssue(field, 'unknownField', value, wording.unknownField));
      }
      continue;
    }
    const path = issue.path;
    // A list's items share their texts: `nodes.*.templateId`.
    const name = path.map((key) => (typeof key === 'number' ? '*' : String(key))).join('.');
    const field = `${prefix}${path.join('.')}` || prefix.replace(/\.$/, '') || wording.body;
    const value = valueAt(input, path);
    const rule = ruleOf(issue, value);
    const written = (issue as { params?: { messageId?: ValidationMessageId; params?: ValidationParams } })
      .params;
    let text: RuleText;
    if (written?.messageId) {
      // Capture-method rules name their message where they are checked.
      text = [written.messageId, written.params];
    } else if (rule === 'required') {
      text = ['required'];
    } else if (path.length === 0) {
      text = [wording.object];
    } else {
      const texts = wording.fields[name];
      text = texts?.[rule] ?? texts?.['*'] ?? ['other', { text: issue.message }];
    }
    issues.push(validationIssue(field, rule, value, text[0], text[1]));
  }
  return issues;
}

export class TemplateValidationError extends DynamicImageError {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super('INVALID_TEMPLATE', `Invalid template: ${issues.map((i) => i.message).join('; ')}`, { issues });
    this.name = 'TemplateValidationError';
    this.issues = issues;
  }
}

export type ValidationResult<T> = { ok: true; template: T } | { ok: false; issues: ValidationIssue[] };

export function validateTemplate(input: unknown): ValidationResult<Template> {
  const parsed = templateInputSchema.safeParse(input);
  return parsed.success
    ? { ok: true, template: parsed.data }
    : { ok: false, issues: toValidationIssues(parsed.error, input) };
}

export function parseTemplate(input: unknown): Template {
  const result = validateTemplate(input);
  if (!result.ok) throw new TemplateValidationError(result.issues);
  return result.template;
}

/** Job-time overrides (VOD's OverrideParams): a subset of the template fields. */
export const overrideParamsSchema = z.strictObject({
  format: templateFields.format.optional(),
  fps: templateFields.fps.optional(),
  width: size.optional(),
  height: size.optional(),
  captureMethod: templateFields.captureMethod.optional(),
  start: startSchema.optional(),
  duration: timeSchema.optional(),
  trimEnd: timeSchema.optional(),
  setAsDefaultThumbnail: z.boolean().optional(),
  profile: templateFields.profile,
  loopCount: templateFields.loopCount,
  speed: templateFields.speed,
  boomerang: templateFields.boomerang,
  sizeMode: templateFields.sizeMode,
  ...encoderControlFields,
  maxBytes: templateFields.maxBytes,
});
export type OverrideParams = z.input<typeof overrideParamsSchema>;

/** Applies overrides to a template and validates the result; switching method drops the old method's field. */
export function applyOverrides(template: Template, overrides: unknown): Template {
  if (overrides === undefined || overrides === null) return template;
  const parsed = overrideParamsSchema.safeParse(overrides);
  if (!parsed.success)
    throw new TemplateValidationError(toValidationIssues(parsed.error, overrides, 'overrideParams.'));
  const o = parsed.data;
  const merged: Record<string, unknown> = { ...template };
  for (const [key, value] of Object.entries(o)) if (value !== undefined) merged[key] = value;
  if (o.captureMethod && o.captureMethod !== template.captureMethod) {
    const stale = CAPTURE_METHOD_FIELD[template.captureMethod];
    if (o[stale] === undefined) delete merged[stale];
  }
  // Switching format drops the old format's encoder controls, unless the overrides give them (refused then).
  if (o.format && o.format !== template.format)
    for (const key of ENCODER_CONTROLS)
      if (ENCODER_CONTROL_FORMAT[key] !== o.format && o[key] === undefined) delete merged[key];
  for (const key of ['duration', 'trimEnd', 'width', 'height'] as const)
    if (merged[key] === undefined) delete merged[key];
  const result = templateInputSchema.safeParse(merged);
  if (!result.success) {
    const issues = toValidationIssues(result.error, merged).map((issue) =>
      Object.hasOwn(o, issue.field)
        ? validationIssue(
            `overrideParams.${issue.field}`,
            issue.rule,
            issue.value,
            issue.messageId ?? 'other',
            issue.params,
          )
        : issue,
    );
    throw new TemplateValidationError(issues);
  }
  return result.data;
}

// A zero time written as a string: "00:00:00" or "00:00:00.000".
const ZERO_TIME_PATTERN = '^00:00:00(?:\\.0{1,3})?$';

/**
 * The capture-method rules that zod checks in `superRefine` (which JSON Schema export can't see): each
 * method requires its own field and refuses the other's; a byDuration duration is above 0.
 */
const captureMethodJsonSchema = Object.entries(CAPTURE_METHOD_FIELD).map(([method, own]) => {
  const other = own === 'duration' ? 'trimEnd' : 'duration';
  const then: Record<string, unknown> = { required: [own], not: { required: [other] } };
  if (own === 'duration') {
    then.properties = {
      // Below half a millisecond a number is 0 to core (or breaks the millisecond rule anyway).
      duration: {
        not: {
          anyOf: [
            { type: 'number', maximum: 0.0005 },
            { type: 'string', pattern: ZERO_TIME_PATTERN },
          ],
        },
      },
    };
  }
  // An automatic start is byDuration's alone.
  if (own === 'trimEnd') then.properties = { start: { not: { const: AUTO_START } } };
  return { if: { properties: { captureMethod: { const: method } }, required: ['captureMethod'] }, then };
});

/** JSON Schema of the template input, shared by the admin UI and the API docs. */
export const templateJsonSchema: Record<string, unknown> = {
  ...(z.toJSONSchema(templateInputSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >),
  allOf: [...captureMethodJsonSchema, ...encoderControlsJsonSchema],
};
