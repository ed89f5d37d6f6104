import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { jsonColumn } from '../data/json';
import { tryAdvisoryLock } from '../data/locks';
import { invalidParameter, notFound } from '../errors';

export const COMPLETE_EVENT = 'dynamic-image.complete';
const PENDING = 'plugin::dynamic-image.pending-event';

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

/** A recorded event: its outbox row and the body the webhooks receive. */
export interface PendingEvent {
  id: number;
  payload: DynamicImageCompleteEvent;
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

/** When a pending event is re-sent; the defaults stand for keys left out of the config. */
const outboxConfig = (strapi: Core.Strapi) => ({
  resendIntervalSeconds: 30,
  resendAfterSeconds: 10,
  ...(strapi.config.get('plugin::dynamic-image.events') as object | undefined),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** The re-send sweep's timers. */
  timers: [] as NodeJS.Timeout[],

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

  /**
   * Records a `DynamicImageComplete` event as pending. Called inside the transaction that ends the job,
   * so the event is stored with the final state or not at all; `send` emits it after the commit.
   */
  async record(event: Omit<DynamicImageCompleteEvent, 'EventType' | 'EventTime'>): Promise<PendingEvent> {
    const payload: DynamicImageCompleteEvent = {
      EventType: 'DynamicImageComplete',
      EventTime: new Date().toISOString(),
      ...event,
    };
    const row = await strapi.db.query(PENDING).create({ data: { jobId: event.JobId, payload } });
    return { id: row.id as number, payload };
  },

  /** Emits recorded events to the webhooks, then deletes them (a crash in between re-sends them: at-least-once). */
  async send(events: Array<PendingEvent | null | undefined>) {
    const sent: number[] = [];
    for (const event of events) {
      if (!event) continue;
      strapi.eventHub.emit(COMPLETE_EVENT, event.payload as unknown as Record<string, unknown>);
      sent.push(event.id);
    }
    if (sent.length) await strapi.db.query(PENDING).deleteMany({ where: { id: { $in: sent } } });
  },

  /**
   * Sends events still pending after the grace period: their CMS stopped between the commit and the send.
   * One instance at a time (a transaction-scoped advisory lock); returns how many were sent.
   */
  async resendPending(): Promise<number> {
    const { resendAfterSeconds } = outboxConfig(strapi);
    const before = new Date(Date.now() - resendAfterSeconds * 1000);
    return (await strapi.db.transaction(async ({ trx }) => {
      if (!(await tryAdvisoryLock(trx, 'pending-events'))) return 0;
      const stale = await strapi.db
        .query(PENDING)
        .findMany({ where: { createdAt: { $lt: before } }, orderBy: { id: 'asc' }, limit: 100 });
      const events = stale.map((row: Record<string, unknown>) => ({
        id: row.id as number,
        payload: jsonColumn<DynamicImageCompleteEvent>(row.payload),
      }));
      await this.send(events);
      if (events.length)
        strapi.log.warn(
          `[dynamic-image] re-sent ${events.length} DynamicImageComplete event(s) left pending by a stopped CMS: ${events.map((e: PendingEvent) => e.payload.JobId).join(', ')}`,
        );
      return events.length;
    })) as number;
  },

  /**
   * Re-sends pending events once Strapi has loaded (webhooks are registered after the plugins' bootstrap),
   * then every `events.resendIntervalSeconds`.
   */
  start() {
    this.stop();
    const sweep = () => {
      if (!strapi.isLoaded) return;
      this.resendPending().catch((err: Error) =>
        strapi.log.error(`[dynamic-image] pending events not re-sent: ${err.message}`),
      );
    };
    const firstSweep = setInterval(() => {
      if (!strapi.isLoaded) return;
      clearInterval(firstSweep);
      sweep();
    }, 500);
    const every = setInterval(sweep, outboxConfig(strapi).resendIntervalSeconds * 1000);
    firstSweep.unref();
    every.unref();
    this.timers = [firstSweep, every];
  },

  stop() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  },
});
