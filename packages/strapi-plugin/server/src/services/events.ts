import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { invalidParameter, notFound } from '../errors';

export const COMPLETE_EVENT = 'dynamic-image.complete';

export interface DynamicImageCompleteEvent {
  EventType: 'DynamicImageComplete';
  EventTime: string;
  VideoId: number | null;
  JobId: string;
  Status: 'success' | 'fail';
  DynamicImageId?: number;
  FileURL?: string;
  FileSize?: number;
  Width?: number;
  Height?: number;
  Fps?: number;
  Format?: string;
  Duration?: number;
  ErrorCode?: string;
  ErrorMessage?: string;
  /** When the job was made for an entry (auto-thumbnail on publish). */
  EntryUid?: string;
  EntryDocumentId?: string;
  EntryLocale?: string | null;
}

interface StoredWebhook {
  id: number | string;
  name: string;
  url: string;
  headers?: Record<string, string>;
  events: string[];
  isEnabled: boolean;
}

const subscriptionsInput = z.array(
  z.strictObject({ id: z.union([z.number().int().positive(), z.string().min(1)]), subscribed: z.boolean() }),
);

function present(webhook: StoredWebhook) {
  return {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    isEnabled: webhook.isEnabled,
    events: webhook.events,
    subscribed: webhook.events.includes(COMPLETE_EVENT),
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  register() {
    // Allowed on webhooks (POST /admin/webhooks, the plugin's settings routes); every subscribed webhook
    // receives the payload. Strapi CE's Settings → Webhooks page lists only entry and media events.
    strapi.get('webhookStore').addAllowedEvent('DYNAMIC_IMAGE_COMPLETE', COMPLETE_EVENT);
  },
  /** Every webhook, and whether it receives `DynamicImageComplete`. */
  async webhooks() {
    const list = (await strapi.get('webhookStore').findWebhooks()) as StoredWebhook[];
    return list.sort((a, b) => Number(a.id) - Number(b.id)).map(present);
  },

  /**
   * Subscribes or unsubscribes webhooks to `DynamicImageComplete`, keeping their other events. Every id
   * is checked before anything is written.
   */
  async subscribe(input: unknown) {
    const parsed = subscriptionsInput.safeParse(input);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const field = ['data', ...(first?.path ?? [])].join('.');
      throw invalidParameter(
        'data',
        `${field}: ${first?.message ?? 'invalid'} (expected [{ id, subscribed: boolean }])`,
        { issues: parsed.error.issues },
      );
    }
    const store = strapi.get('webhookStore');
    const found: Array<{ webhook: StoredWebhook; subscribed: boolean }> = [];
    for (const { id, subscribed } of parsed.data) {
      const webhook = (await store.findWebhook(id)) as StoredWebhook | null;
      if (!webhook) throw notFound('Webhook', id);
      found.push({ webhook, subscribed });
    }
    for (const { webhook, subscribed } of found) {
      if (webhook.events.includes(COMPLETE_EVENT) === subscribed) continue;
      const events = subscribed
        ? [...webhook.events, COMPLETE_EVENT]
        : webhook.events.filter((e) => e !== COMPLETE_EVENT);
      const updated = await store.updateWebhook(webhook.id, { ...webhook, events });
      // As Strapi's own webhook controller does: the runner of this process listens to the new events.
      if (updated) strapi.get('webhookRunner').update(updated);
    }
    return this.webhooks();
  },

  emitComplete(event: Omit<DynamicImageCompleteEvent, 'EventType' | 'EventTime'>) {
    const payload: DynamicImageCompleteEvent = {
      EventType: 'DynamicImageComplete',
      EventTime: new Date().toISOString(),
      ...event,
    };
    strapi.eventHub.emit(COMPLETE_EVENT, payload as unknown as Record<string, unknown>);
  },
});
