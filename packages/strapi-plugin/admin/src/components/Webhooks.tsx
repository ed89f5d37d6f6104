import {
  Badge,
  Box,
  Button,
  Flex,
  LinkButton,
  SingleSelect,
  SingleSelectOption,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Toggle,
  Tr,
  Typography,
} from '@strapi/design-system';
import { Check, Plus } from '@strapi/icons';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import * as React from 'react';
import { NavLink } from 'react-router-dom';
import { errorOf } from '../utils/api';
import { useT } from '../utils/t';

interface Webhook {
  id: number | string;
  name: string;
  url: string;
  isEnabled: boolean;
  events: string[];
  subscribed: boolean;
  shape: Shape;
}
type Shape = 'flat' | 'vod';
type Response = { data: Webhook[]; meta: { event: string; signingSecret?: string } };

/** Strapi's own webhooks pages, inside the admin's router. */
const WEBHOOKS_PAGE = '/settings/webhooks';

/**
 * Which webhooks receive `DynamicImageComplete`. Strapi CE's Settings → Webhooks page lists only entry
 * and media events, so the subscription is set here; the webhooks themselves are made there.
 */
export function Webhooks({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const { get, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [webhooks, setWebhooks] = React.useState<Webhook[] | null>(null);
  const [event, setEvent] = React.useState('dynamic-image.complete');
  /** Toggles changed on the page and not saved yet, by webhook id. */
  const [changes, setChanges] = React.useState<Record<string, boolean>>({});
  /** Body shapes changed on the page and not saved yet, by webhook id. */
  const [shapes, setShapes] = React.useState<Record<string, Shape>>({});
  const [secret, setSecret] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);

  const show = React.useCallback((r: Response) => {
    setWebhooks(r.data ?? []);
    if (r.meta?.event) setEvent(r.meta.event);
    if (r.meta?.signingSecret) setSecret(r.meta.signingSecret);
    setChanges({});
    setShapes({});
  }, []);

  React.useEffect(() => {
    get<Response>('/dynamic-image/settings/webhooks')
      .then((r) => show(r.data))
      .catch((err) => {
        const e = errorOf(err);
        setError(e.code ? `${e.code}: ${e.message}` : e.message);
      });
  }, [get, show]);

  const subscribed = (w: Webhook) => changes[String(w.id)] ?? w.subscribed;
  const shape = (w: Webhook) => shapes[String(w.id)] ?? w.shape ?? 'flat';
  const pending = (webhooks ?? []).filter((w) => subscribed(w) !== w.subscribed || shape(w) !== w.shape);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const r = await put<Response>('/dynamic-image/settings/webhooks', {
        data: pending.map((w) => ({ id: w.id, subscribed: subscribed(w), shape: shape(w) })),
      });
      show(r.data);
      toggleNotification({ type: 'success', message: t('webhooks.saved', 'Webhook subscriptions saved') });
    } catch (err) {
      const e = errorOf(err);
      setError(e.code ? `${e.code}: ${e.message}` : e.message);
    } finally {
      setSaving(false);
    }
  };

  const createLink = (
    <LinkButton tag={NavLink} to={`${WEBHOOKS_PAGE}/create`} variant="secondary" startIcon={<Plus />}>
      {t('webhooks.create', 'Create a webhook')}
    </LinkButton>
  );

  return (
    <Box
      background="neutral0"
      hasRadius
      shadow="tableShadow"
      padding={6}
      data-testid="webhooks"
      aria-busy={webhooks === null && !error}
    >
      <Flex justifyContent="space-between" alignItems="flex-start" paddingBottom={4} gap={4}>
        <Box>
          <Typography variant="delta" tag="h2">
            {t('webhooks.title', 'Webhooks')}
          </Typography>
          <Typography variant="pi" textColor="neutral600" tag="p">
            {t(
              'webhooks.subtitle',
              'A subscribed webhook receives DynamicImageComplete (event {event}) when a job ends, successful or not. Strapi’s Settings → Webhooks page makes and edits the webhooks but cannot show this event.',
              { event },
            )}
          </Typography>
        </Box>
        {canWrite && webhooks && webhooks.length > 0 && (
          <Button startIcon={<Check />} onClick={save} loading={saving} disabled={pending.length === 0}>
            {t('action.save', 'Save')}
          </Button>
        )}
      </Flex>
      {webhooks === null && !error && (
        <Typography textColor="neutral600">{t('common.loading', 'Loading…')}</Typography>
      )}
      {webhooks?.length === 0 && (
        <Flex direction="column" alignItems="flex-start" gap={3} data-testid="webhooks-empty">
          <Typography textColor="neutral600">
            {t(
              'webhooks.empty',
              'No webhook yet. Create one in Strapi’s Settings → Webhooks, then subscribe it here.',
            )}
          </Typography>
          {createLink}
        </Flex>
      )}
      {webhooks && webhooks.length > 0 && (
        <Flex direction="column" alignItems="stretch" gap={4}>
          <Table colCount={5} rowCount={webhooks.length + 1}>
            <Thead>
              <Tr>
                <Th>
                  <Typography variant="sigma">{t('webhooks.name', 'Name')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('webhooks.url', 'URL')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('webhooks.status', 'Status')}</Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">
                    {t('webhooks.receives', 'Receives DynamicImageComplete')}
                  </Typography>
                </Th>
                <Th>
                  <Typography variant="sigma">{t('webhooks.shape', 'Body')}</Typography>
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {webhooks.map((w) => (
                <Tr key={w.id} data-testid="webhook-row">
                  <Td>
                    <Typography fontWeight="semiBold">{w.name}</Typography>
                  </Td>
                  <Td>
                    <Typography textColor="neutral700">{w.url}</Typography>
                  </Td>
                  <Td>
                    {w.isEnabled ? (
                      <Badge>{t('webhooks.enabled', 'Enabled')}</Badge>
                    ) : (
                      <Badge>{t('webhooks.disabled', 'Disabled: receives nothing')}</Badge>
                    )}
                  </Td>
                  <Td>
                    <Toggle
                      aria-label={t('webhooks.receivesFor', '{name} receives DynamicImageComplete', {
                        name: w.name,
                      })}
                      checked={subscribed(w)}
                      onLabel={t('common.yes', 'Yes')}
                      offLabel={t('common.no', 'No')}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) => {
                        const checked = e.target.checked;
                        setChanges((c) => ({ ...c, [String(w.id)]: checked }));
                      }}
                      disabled={!canWrite}
                    />
                  </Td>
                  <Td>
                    <SingleSelect
                      aria-label={t('webhooks.shapeFor', 'Body {name} receives', { name: w.name })}
                      value={shape(w)}
                      onChange={(value: string | number) =>
                        setShapes((s) => ({ ...s, [String(w.id)]: value as Shape }))
                      }
                      disabled={!canWrite}
                    >
                      <SingleSelectOption value="flat">
                        {t('webhooks.shape.flat', 'Flat (default)')}
                      </SingleSelectOption>
                      <SingleSelectOption value="vod">
                        {t('webhooks.shape.vod', 'ApsaraVideo VOD (DynamicImageJobInfo)')}
                      </SingleSelectOption>
                    </SingleSelect>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          {secret && (
            <Typography variant="pi" textColor="neutral600" tag="p">
              {t(
                'webhooks.secret',
                'Each body is signed: its x-dynamic-image-event-signature header is t=TIME,v1=HMAC-SHA256 of "TIME.BODY" with the secret {secret}',
                { secret },
              )}
            </Typography>
          )}
          <Box>{createLink}</Box>
        </Flex>
      )}
      {error && (
        <Box paddingTop={3}>
          <Typography textColor="danger600">{error}</Typography>
        </Box>
      )}
    </Box>
  );
}
