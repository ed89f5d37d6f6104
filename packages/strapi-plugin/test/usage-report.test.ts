// The usage report's query string and its CSV: what a caller may ask, and what a spreadsheet reads.
import { describe, expect, it } from 'vitest';
import type { UsageReport } from '../server/src/api-types';
import { ApiError } from '../server/src/errors';
import { monthRange } from '../server/src/services/usage';
import { usageCsv } from '../server/src/services/usage-csv';

const now = new Date('2026-11-30T23:59:00Z');

describe('monthRange', () => {
  it.each([
    [{}, { from: '2026-11', to: '2026-11' }],
    [{ to: '2026-03' }, { from: '2026-03', to: '2026-03' }],
    [
      { from: '2025-12', to: '2026-01' },
      { from: '2025-12', to: '2026-01' },
    ],
    [
      { from: '2017-01', to: '2026-12' },
      { from: '2017-01', to: '2026-12' },
    ],
  ])('%j reads %j', (query, range) => {
    expect(monthRange(query, now)).toEqual(range);
  });

  it.each([
    [{ from: '2026-13' }, 'InvalidParameter.From'],
    [{ from: '2026-1' }, 'InvalidParameter.From'],
    [{ to: ['2026-01', '2026-02'] }, 'InvalidParameter.To'],
    [{ to: { $gt: '2026-01' } }, 'InvalidParameter.To'],
    [{ from: '2026-02', to: '2026-01' }, 'InvalidParameter.From'],
    [{ from: '2016-12', to: '2026-12' }, 'InvalidParameter.To'],
  ])('refuses %j with %s', (query, code) => {
    const error = (() => {
      try {
        monthRange(query, now);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(code);
    expect((error as ApiError).status).toBe(400);
  });
});

describe('usageCsv', () => {
  const zero = { LD: 0, SD: 0, HD: 0, '2K': 0, '4K': 0, '8K': 0 };
  const report: UsageReport = {
    from: '2026-11',
    to: '2026-11',
    classes: ['LD', 'SD', 'HD', '2K', '4K', '8K'],
    rows: [
      {
        month: '2026-11',
        templateId: 't1',
        templateName: '=HYPERLINK("x"), "quoted"',
        workflowId: null,
        workflowName: null,
        outputs: 2,
        encodes: 1,
        seconds: 3.5,
        secondsByClass: { ...zero, LD: 1.5, HD: 2 },
        outputsByClass: { ...zero, LD: 1, HD: 1 },
        bytes: 12345,
      },
    ],
    totals: {
      outputs: 2,
      encodes: 1,
      seconds: 3.5,
      secondsByClass: zero,
      outputsByClass: zero,
      bytes: 12345,
    },
  };

  it('writes a header and one line a row, quoting and defusing formulas', () => {
    expect(usageCsv(report).split('\r\n')).toEqual([
      'month,templateId,templateName,workflowId,workflowName,outputs,encodes,seconds,secondsLD,secondsSD,secondsHD,seconds2K,seconds4K,seconds8K,bytes',
      `2026-11,t1,"'=HYPERLINK(""x""), ""quoted""",,,2,1,3.5,1.5,0,2,0,0,0,12345`,
      '',
    ]);
  });
});
