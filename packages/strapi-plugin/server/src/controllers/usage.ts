import type { Core } from '@strapi/strapi';
import { invalidParameter } from '../errors';
import { monthRange } from '../services/usage';
import { usageCsv } from '../services/usage-csv';
import { getService } from '../utils/get-service';
import { Download, respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** The usage report for `from`..`to` (`YYYY-MM`), as JSON or, with `format=csv`, a CSV file. */
  // `find`, as a read: Strapi's read-only API tokens hold the content API's find and findOne.
  find: respond(async (ctx) => {
    const q = ctx.query as Record<string, unknown>;
    const format = q.format ?? 'json';
    if (format !== 'json' && format !== 'csv')
      throw invalidParameter('format', 'format must be json or csv', { format: String(format) });
    const report = await getService(strapi, 'usage').report(monthRange(q));
    if (format === 'json') return report;
    return new Download('text/csv; charset=utf-8', `usage-${report.from}-${report.to}.csv`, usageCsv(report));
  }),
});
