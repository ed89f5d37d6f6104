// The usage report as CSV (RFC 4180), for agencies that bill from a spreadsheet: one line per row, the
// seconds of each resolution class in columns of their own.
import type { UsageReport } from '../api-types';

// A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is quoted with a leading apostrophe.
const cell = (value: string | number | null): string => {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function usageCsv(report: UsageReport): string {
  const header = [
    'month',
    'templateId',
    'templateName',
    'workflowId',
    'workflowName',
    'outputs',
    'encodes',
    'seconds',
    ...report.classes.map((c) => `seconds${c}`),
    'bytes',
  ];
  const lines = report.rows.map((row) =>
    [
      row.month,
      row.templateId,
      row.templateName,
      row.workflowId,
      row.workflowName,
      row.outputs,
      row.encodes,
      row.seconds,
      ...report.classes.map((c) => row.secondsByClass[c] ?? 0),
      row.bytes,
    ]
      .map(cell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
