import { Badge, Box, Button, Table, Tbody, Td, Th, Thead, Tr, Typography } from '@strapi/design-system';
import { ArrowClockwise } from '@strapi/icons';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { errorOf } from '../utils/api';
import { useT } from '../utils/t';

export interface Delivery {
  deliveryId: number;
  jobId: string;
  webhookName: string | null;
  state: 'pending' | 'retrying' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  log: Array<{ at: string; status: number | null; error?: string; ms: number }>;
}

const FINAL = ['delivered', 'failed', 'cancelled'];

/**
 * The delivery log: the last DynamicImageComplete deliveries, each attempt's status code, and a resend for
 * those that ended. Refreshed every 3 s while any is still being tried.
 */
export function EventDeliveries({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const { get, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [deliveries, setDeliveries] = React.useState<Delivery[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  const load = React.useCallback(
    () =>
      get<{ data: Delivery[] }>('/dynamic-image/event-deliveries?limit=20')
        .then((r) => setDeliveries(r.data.data ?? []))
        .catch((err) => setError(errorOf(err).message)),
    [get],
  );
  React.useEffect(() => {
    load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, [load]);

  const resend = async (id: number) => {
    try {
      await post(`/dynamic-image/event-deliveries/${id}/resend`, {});
      toggleNotification({ type: 'success', message: t('deliveries.resent', 'Sent again') });
      await load();
    } catch (err) {
      const e = errorOf(err);
      toggleNotification({ type: 'danger', message: e.code ? `${e.code}: ${e.message}` : e.message });
    }
  };

  return (
    <Box
      background="neutral0"
      hasRadius
      shadow="tableShadow"
      padding={6}
      data-testid="event-deliveries"
      aria-busy={deliveries === null && !error}
    >
      <Typography variant="delta" tag="h2">
        {t('deliveries.title', 'Deliveries')}
      </Typography>
      <Typography variant="pi" textColor="neutral600" tag="p">
        {t(
          'deliveries.subtitle',
          'Each DynamicImageComplete sent to a webhook. A refused or unanswered one is tried again with a growing delay, for more than a day.',
        )}
      </Typography>
      {deliveries?.length === 0 && (
        <Box paddingTop={4}>
          <Typography textColor="neutral600">{t('deliveries.empty', 'Nothing sent yet.')}</Typography>
        </Box>
      )}
      {deliveries && deliveries.length > 0 && (
        <Box paddingTop={4}>
          <Table colCount={6} rowCount={deliveries.length + 1}>
            <Thead>
              <Tr>
                {[
                  t('deliveries.when', 'Made'),
                  t('deliveries.webhook', 'Webhook'),
                  t('deliveries.job', 'Job'),
                  t('deliveries.state', 'State'),
                  t('deliveries.attempts', 'Attempts (status codes)'),
                  '',
                ].map((label, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns.
                  <Th key={i}>
                    <Typography variant="sigma">{label}</Typography>
                  </Th>
                ))}
              </Tr>
            </Thead>
            <Tbody>
              {deliveries.map((d) => (
                <Tr key={d.deliveryId} data-testid="delivery-row" data-state={d.state}>
                  <Td>
                    <Typography>{new Date(d.createdAt).toLocaleString()}</Typography>
                  </Td>
                  <Td>
                    <Typography>{d.webhookName}</Typography>
                  </Td>
                  <Td>
                    <Typography variant="pi">{d.jobId}</Typography>
                  </Td>
                  <Td>
                    <Badge>{t(`deliveries.state.${d.state}`, d.state)}</Badge>
                  </Td>
                  <Td>
                    <Typography data-testid="delivery-attempts" title={d.lastError ?? undefined}>
                      {d.attempts} ({d.log.map((a) => a.status ?? a.error ?? '—').join(', ')})
                    </Typography>
                  </Td>
                  <Td>
                    {canWrite && FINAL.includes(d.state) && (
                      <Button
                        variant="tertiary"
                        size="S"
                        startIcon={<ArrowClockwise />}
                        onClick={() => resend(d.deliveryId)}
                      >
                        {t('deliveries.resend', 'Resend')}
                      </Button>
                    )}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        </Box>
      )}
      {error && (
        <Box paddingTop={3}>
          <Typography textColor="danger600">{error}</Typography>
        </Box>
      )}
    </Box>
  );
}
