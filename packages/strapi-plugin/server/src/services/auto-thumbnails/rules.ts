// The auto-thumbnail rules on their own: what a rule's content type and fields must be, checked the same
// way for the config file and the settings page. Pure: the content types are given, nothing is read.
import { z } from 'zod';
import { type ApiError, invalidParameter } from '../../errors';

/** One rule as stored and served to the settings page. */
export interface AutoThumbnailRule {
  uid: string;
  videoField: string;
  targetField: string;
  templateId: string;
  setAsCover: boolean;
}

/** A content type a rule may name, with the fields it may use. */
export interface Candidate {
  uid: string;
  displayName: string;
  videoFields: string[];
  targetFields: string[];
}

export interface Issue {
  field: string;
  rule: string;
  message: string;
}

export type Attribute = {
  type?: string;
  multiple?: boolean;
  allowedTypes?: string[] | null;
  pluginOptions?: { i18n?: { localized?: boolean } };
};
export type Model = {
  uid: string;
  info?: { displayName?: string };
  options?: { draftAndPublish?: boolean };
  pluginOptions?: { i18n?: { localized?: boolean } };
  attributes: Record<string, Attribute>;
};

/** The fields a rule names (the template is checked apart: it is a stored row). */
export type RuleFields = { uid: string; videoField: string; targetField: string };

const ruleInput = z.strictObject({
  uid: z.string().min(1),
  videoField: z.string().min(1),
  targetField: z.string().min(1),
  templateId: z.string().min(1),
  setAsCover: z.boolean().default(false),
});
/** The settings page's body. */
export const rulesInput = z.strictObject({ data: z.array(ruleInput).max(100) });

/** A single media field whose allowed types include `kind` (no list means every type). */
export const singleMedia = (attribute: Attribute | undefined, kind: 'videos' | 'images') =>
  attribute?.type === 'media' &&
  attribute.multiple !== true &&
  (!attribute.allowedTypes?.length || attribute.allowedTypes.includes(kind));

export const localized = (x: { pluginOptions?: { i18n?: { localized?: boolean } } } | undefined) =>
  x?.pluginOptions?.i18n?.localized === true;

/** The key of one target field of one entry (one locale): what a publish decision is made for. */
export const entryKey = (uid: string, documentId: string, locale: string | null, targetField: string) =>
  `${uid}|${documentId}|${locale ?? ''}|${targetField}`;

/** What a rule's content type (`ct`, undefined when missing) and fields must be; `at` prefixes issue fields. */
export function checkFields(ct: Model | undefined, rule: RuleFields, at: string): Issue[] {
  if (!ct) return [{ field: `${at}uid`, rule: 'exists', message: `content type ${rule.uid} does not exist` }];
  const issues: Issue[] = [];
  if (ct.options?.draftAndPublish !== true) {
    issues.push({
      field: `${at}uid`,
      rule: 'draftAndPublish',
      message: `content type ${rule.uid} has no draft & publish; auto-thumbnail runs on publish`,
    });
  }
  const video = ct.attributes[rule.videoField];
  if (!video) {
    issues.push({
      field: `${at}videoField`,
      rule: 'exists',
      message: `${rule.uid} has no field ${JSON.stringify(rule.videoField)}`,
    });
  } else if (!singleMedia(video, 'videos')) {
    issues.push({
      field: `${at}videoField`,
      rule: 'kind',
      message: `${rule.uid}.${rule.videoField} must be a single media field allowing videos`,
    });
  }
  const target = ct.attributes[rule.targetField];
  if (!target) {
    issues.push({
      field: `${at}targetField`,
      rule: 'exists',
      message: `${rule.uid} has no field ${JSON.stringify(rule.targetField)}`,
    });
  } else if (!singleMedia(target, 'images')) {
    issues.push({
      field: `${at}targetField`,
      rule: 'kind',
      message: `${rule.uid}.${rule.targetField} must be a single media field allowing images`,
    });
  } else if (rule.targetField === rule.videoField) {
    issues.push({
      field: `${at}targetField`,
      rule: 'distinct',
      message: `targetField must differ from videoField (${rule.videoField})`,
    });
  } else if (localized(ct) && localized(video) && !localized(target)) {
    // Each locale gets the thumbnail of its own video, so the target must be per locale too.
    issues.push({
      field: `${at}targetField`,
      rule: 'localized',
      message: `${rule.uid}.${rule.targetField} must be localized like ${rule.videoField}`,
    });
  }
  return issues;
}

/** Two rules may not fill the same field. */
export function checkDuplicates(rules: Array<{ uid: string; targetField: string }>, prefix: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  rules.forEach((rule, i) => {
    const key = `${rule.uid}.${rule.targetField}`;
    if (seen.has(key)) {
      issues.push({
        field: `${prefix}${i}.targetField`,
        rule: 'unique',
        message: `${key} is the target of another rule`,
      });
    }
    seen.add(key);
  });
  return issues;
}

/** The API content types with draft & publish and at least one video field and one image field. */
export function candidates(models: Model[]): Candidate[] {
  return models
    .filter((ct) => ct.uid.startsWith('api::') && ct.options?.draftAndPublish === true)
    .map((ct) => {
      const names = Object.keys(ct.attributes);
      return {
        uid: ct.uid,
        displayName: ct.info?.displayName ?? ct.uid,
        videoFields: names.filter((n) => singleMedia(ct.attributes[n], 'videos')),
        targetFields: names.filter((n) => singleMedia(ct.attributes[n], 'images')),
      };
    })
    .filter((c) => c.videoFields.length > 0 && c.targetFields.length > 0)
    .sort((a, b) => a.uid.localeCompare(b.uid));
}

/** `InvalidParameter.<Field>` named after the first problem's field (`data.0.videoField` → VideoField). */
export function invalidRules(issues: Issue[]): ApiError {
  const first = issues[0] as Issue;
  const leaf = first.field.split('.').filter((p) => !/^\d+$/.test(p) && p !== 'data');
  return invalidParameter(leaf.at(-1) ?? 'data', issues.map((i) => i.message).join('; '), { issues });
}
