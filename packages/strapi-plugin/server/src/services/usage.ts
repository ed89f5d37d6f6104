// The usage report: what the VOD services bill on (outputs, their seconds by resolution class) per month,
// template and workflow, so an agency can charge its clients back. Read from the job rows
// (data/usage.ts); the class is core's `resolutionClass`.
import { RESOLUTION_CLASSES, resolutionClass } from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import type { UsageReport, UsageRow } from '../api-types';
import { TEMPLATE } from '../data/templates';
import { usageGroups } from '../data/usage';
import { WORKFLOW } from '../data/workflows';
import { invalidParameter } from '../errors';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** Ten years in one report at most: the query stays one bounded aggregate. */
export const MAX_MONTHS = 120;

const monthIndex = (month: string) => {
  const [, year, m] = MONTH.exec(month) as RegExpExecArray;
  return Number(year) * 12 + Number(m) - 1;
};

/** `from` and `to` from a query string; each defaults to the current UTC month (`to`) or `to` (`from`). */
export function monthRange(
  query: { from?: unknown; to?: unknown },
  now = new Date(),
): { from: string; to: string } {
  const current = now.toISOString().slice(0, 7);
  const read = (name: 'from' | 'to', fallback: string) => {
    const value = query[name] ?? fallback;
    if (typeof value !== 'string' || !MONTH.test(value))
      throw invalidParameter(name, `${name} must be a month as YYYY-MM`, { [name]: String(value) });
    return value;
  };
  const to = read('to', current);
  const from = read('from', to);
  const span = monthIndex(to) - monthIndex(from) + 1;
  if (span < 1) throw invalidParameter('from', 'from must not be after to', { from, to });
  if (span > MAX_MONTHS)
    throw invalidParameter('to', `A report covers ${MAX_MONTHS} months at most`, { from, to });
  return { from, to };
}

const zeroes = () => Object.fromEntries(RESOLUTION_CLASSES.map((c) => [c, 0])) as Record<string, number>;
// Seconds are sums of float durations: to the millisecond, as the results give them.
const ms = (seconds: number) => Math.round(seconds * 1000) / 1000;

function emptyTotals(): UsageReport['totals'] {
  return { outputs: 0, encodes: 0, seconds: 0, secondsByClass: zeroes(), outputsByClass: zeroes(), bytes: 0 };
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async report(range: { from: string; to: string }): Promise<UsageReport> {
    const groups = await usageGroups(strapi, range.from, range.to);
    const rows = new Map<string, UsageRow>();
    const totals = emptyTotals();
    for (const group of groups) {
      const key = JSON.stringify([group.month, group.templateId, group.workflowId]);
      let row = rows.get(key);
      if (!row) {
        row = {
          month: group.month,
          templateId: group.templateId,
          templateName: null,
          workflowId: group.workflowId,
          workflowName: null,
          ...emptyTotals(),
        };
        rows.set(key, row);
      }
      const cls = resolutionClass(group.width, group.height);
      for (const sum of [row, totals]) {
        sum.outputs += group.outputs;
        sum.encodes += group.encodes;
        sum.seconds += group.seconds;
        sum.bytes += group.bytes;
        sum.secondsByClass[cls] = (sum.secondsByClass[cls] ?? 0) + group.seconds;
        sum.outputsByClass[cls] = (sum.outputsByClass[cls] ?? 0) + group.outputs;
      }
    }
    const list = [...rows.values()];
    const names = async (uid: string, idField: string, ids: Array<string | null>) => {
      const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
      if (!wanted.length) return new Map<string, string>();
      const found: Array<Record<string, string>> = await strapi.db
        .query(uid as typeof TEMPLATE)
        .findMany({ select: [idField, 'name'], where: { [idField]: { $in: wanted } } });
      return new Map(found.map((r) => [r[idField], r.name]));
    };
    const templates = await names(
      TEMPLATE,
      'templateId',
      list.map((r) => r.templateId),
    );
    const workflows = await names(
      WORKFLOW,
      'workflowId',
      list.map((r) => r.workflowId),
    );
    for (const sum of [...list, totals]) {
      sum.seconds = ms(sum.seconds);
      for (const cls of RESOLUTION_CLASSES) sum.secondsByClass[cls] = ms(sum.secondsByClass[cls] ?? 0);
    }
    for (const row of list) {
      row.templateName = row.templateId ? (templates.get(row.templateId) ?? null) : null;
      row.workflowName = row.workflowId ? (workflows.get(row.workflowId) ?? null) : null;
    }
    return { ...range, classes: [...RESOLUTION_CLASSES], rows: list, totals };
  },
});
