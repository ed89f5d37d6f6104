import { Box, Button, Field, Flex, Table, Tbody, Td, Th, Thead, Tr, Typography } from '@strapi/design-system';
import { Download } from '@strapi/icons';
import { Layouts, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { Empty, LoadError } from '../components/States';
import { errorOf, type UsageReport, type UsageRow, useResource } from '../utils/api';
import { formatBytes } from '../utils/format';
import { useT } from '../utils/t';

const currentMonth = () => new Date().toISOString().slice(0, 7);
const seconds = (value: number) => value.toFixed(1);

/** What the jobs made, per month, template and workflow, for charging clients back (GET /usage). */
export function UsagePage() {
  const t = useT();
  const { get } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [from, setFrom] = React.useState(currentMonth);
  const [to, setTo] = React.useState(currentMonth);
  const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const report = useResource<UsageReport>(`/dynamic-image/usage?${query}`);
  const data = report.data;
  // Only the classes something was made in, so the table stays narrow.
  const classes = data ? data.classes.filter((c) => (data.totals.outputsByClass[c] ?? 0) > 0) : [];

  const download = async () => {
    try {
      const response = await get<Blob>(`/dynamic-image/usage?${query}&format=csv`, { responseType: 'blob' });
      const url = URL.createObjectURL(response.data);
      const link = document.createElement('a');
      link.href = url;
      link.download = `usage-${from}-${to}.csv`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      toggleNotification({ type: 'danger', message: errorOf(err).message });
    }
  };

  const cells = (
    row: Omit<UsageRow, 'month' | 'templateId' | 'templateName' | 'workflowId' | 'workflowName'>,
  ) => (
    <>
      <Td>
        <Typography>{row.outputs}</Typography>
      </Td>
      <Td>
        <Typography>{row.encodes}</Typography>
      </Td>
      <Td>
        <Typography>{seconds(row.seconds)}</Typography>
      </Td>
      {classes.map((c) => (
        <Td key={c}>
          <Typography>{seconds(row.secondsByClass[c] ?? 0)}</Typography>
        </Td>
      ))}
      <Td>
        <Typography>{formatBytes(row.bytes)}</Typography>
      </Td>
    </>
  );

  return (
    <Page.Main>
      <Page.Title>{t('usage.title', 'Usage')}</Page.Title>
      <Layouts.Header
        title={t('usage.title', 'Usage')}
        subtitle={t(
          'usage.subtitle',
          'Outputs and their seconds by resolution class, per month (UTC), template and workflow',
        )}
        primaryAction={
          <Button startIcon={<Download />} variant="secondary" onClick={download} disabled={!data}>
            {t('usage.csv', 'Download CSV')}
          </Button>
        }
      />
      <Layouts.Content>
        <Flex gap={4} paddingBottom={4} alignItems="flex-end">
          <Field.Root name="usageFrom">
            <Field.Label>{t('usage.from', 'From month')}</Field.Label>
            <Field.Input
              type="month"
              value={from}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => setFrom(e.target.value)}
            />
          </Field.Root>
          <Field.Root name="usageTo">
            <Field.Label>{t('usage.to', 'To month')}</Field.Label>
            <Field.Input
              type="month"
              value={to}
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => setTo(e.target.value)}
            />
          </Field.Root>
        </Flex>
        {report.loading ? (
          <Page.Loading />
        ) : report.error ? (
          <LoadError error={report.error} retry={report.reload} />
        ) : !data?.rows.length ? (
          <Empty content={t('usage.empty', 'No dynamic image was made in these months.')} />
        ) : (
          <Box>
            <Table colCount={7 + classes.length} rowCount={data.rows.length + 2} data-testid="usage-table">
              <Thead>
                <Tr>
                  <Th>
                    <Typography variant="sigma">{t('usage.month', 'Month')}</Typography>
                  </Th>
                  <Th>
                    <Typography variant="sigma">{t('usage.template', 'Template')}</Typography>
                  </Th>
                  <Th>
                    <Typography variant="sigma">{t('usage.workflow', 'Workflow')}</Typography>
                  </Th>
                  <Th>
                    <Typography variant="sigma">{t('usage.outputs', 'Outputs')}</Typography>
                  </Th>
                  <Th>
                    <Typography variant="sigma">{t('usage.encodes', 'Encodes')}</Typography>
                  </Th>
                  <Th>
                    <Typography variant="sigma">{t('usage.seconds', 'Seconds')}</Typography>
                  </Th>
                  {classes.map((c) => (
                    <Th key={c}>
                      <Typography variant="sigma">
                        {t('usage.classSeconds', '{class} s', { class: c })}
                      </Typography>
                    </Th>
                  ))}
                  <Th>
                    <Typography variant="sigma">{t('usage.bytes', 'Size')}</Typography>
                  </Th>
                </Tr>
              </Thead>
              <Tbody>
                {data.rows.map((row) => (
                  <Tr key={`${row.month} ${row.templateId} ${row.workflowId}`} data-testid="usage-row">
                    <Td>
                      <Typography>{row.month}</Typography>
                    </Td>
                    <Td>
                      <Typography>{row.templateName ?? row.templateId ?? '—'}</Typography>
                    </Td>
                    <Td>
                      <Typography>
                        {row.workflowName ?? row.workflowId ?? t('usage.noWorkflow', 'None (one-off or API)')}
                      </Typography>
                    </Td>
                    {cells(row)}
                  </Tr>
                ))}
                <Tr data-testid="usage-total">
                  <Td colSpan={3}>
                    <Typography fontWeight="bold">{t('usage.total', 'Total')}</Typography>
                  </Td>
                  {cells(data.totals)}
                </Tr>
              </Tbody>
            </Table>
          </Box>
        )}
      </Layouts.Content>
    </Page.Main>
  );
}
