import { z } from 'zod';

export const MAX_TIME_SECONDS = 86399.999;

// VOD's time strings: hh:mm:ss with an optional fraction of up to three digits, up to 23:59:59.999.
const TIME_STRING = /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/;

export type TimeProblem = 'type' | 'range' | 'precision' | 'timeFormat';

/** Seconds from a number or an `hh:mm:ss[.SSS]` string, or the rule it breaks. */
export function readTime(value: unknown): { ok: true; seconds: number } | { ok: false; rule: TimeProblem } {
  if (typeof value === 'string') {
    const match = TIME_STRING.exec(value);
    if (!match) return { ok: false, rule: 'timeFormat' };
    const [, h, m, s, fraction = ''] = match;
    const ms = Number(fraction.padEnd(3, '0'));
    return { ok: true, seconds: Number(h) * 3600 + Number(m) * 60 + Number(s) + ms / 1000 };
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, rule: 'type' };
  if (value < 0 || value > MAX_TIME_SECONDS) return { ok: false, rule: 'range' };
  // Tolerates float noise (0.1 + 0.2) but not a fourth decimal.
  if (Math.abs(value * 1000 - Math.round(value * 1000)) > 1e-6) return { ok: false, rule: 'precision' };
  return { ok: true, seconds: Math.round(value * 1000) / 1000 };
}

export function parseTime(value: number | string): number {
  const read = readTime(value);
  if (!read.ok) throw new RangeError(`${JSON.stringify(value)} is not a valid time (${read.rule})`);
  return read.seconds;
}

export function formatTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

export const TIME_RULE_TEXT: Record<TimeProblem, string> = {
  type: 'must be a number of seconds or an hh:mm:ss[.SSS] string',
  range: `must be within [0, ${MAX_TIME_SECONDS}] seconds`,
  precision: 'must have at most millisecond precision',
  timeFormat: 'must be an hh:mm:ss[.SSS] string up to 23:59:59.999',
};

/** The JSON Schema of a time: both accepted forms with their limits. */
export const TIME_JSON_SCHEMA = [
  { type: 'number', minimum: 0, maximum: MAX_TIME_SECONDS, multipleOf: 0.001 },
  { type: 'string', pattern: TIME_STRING.source },
];

/** Seconds from a time, or the issue it raises (`word`: one more accepted string, kept as it is). */
function timeOr<W extends string>(word?: W) {
  return (value: number | string, ctx: z.RefinementCtx): number | W => {
    if (word !== undefined && value === word) return word;
    const read = readTime(value);
    if (read.ok) return read.seconds;
    ctx.addIssue({
      code: 'custom',
      message: TIME_RULE_TEXT[read.rule],
      params: { rule: read.rule },
      input: value,
    });
    return z.NEVER;
  };
}

/** A time in seconds: a number or an `hh:mm:ss[.SSS]` string in, seconds out. */
export const timeSchema = z
  .union([z.number(), z.string()])
  .transform(timeOr<never>())
  .meta({ anyOf: TIME_JSON_SCHEMA });

/** A time, or one word that stands for a time chosen later (template's `start: "auto"`). */
export const timeOrWordSchema = <W extends string>(word: W) =>
  z
    .union([z.number(), z.string()])
    .transform(timeOr(word))
    .meta({ anyOf: [{ const: word }, ...TIME_JSON_SCHEMA] });
