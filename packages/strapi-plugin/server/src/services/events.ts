import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { jsonColumn } from '../data/json';
import { tryAdvisoryLock } from '../data/locks';
import { invalidParameter, notFound } from '../errors';
import {
  COMPLETE_EVENT,
  type DynamicImageCompleteEvent,
  PAYLOAD_SHAPES,
  type PayloadShape,
} from '../events/payload';
import { getService } from '../utils/get-service';
import type { StoredWebhook } from './event-deliveries';

export { COMPLETE_EVENT, type DynamicImageCompleteEvent };

const PENDING = 'plugin::dynamic-image.pending-event';
const JOB = 'plugin::dynamic-image.job';

/** A recorded event: its outbox row and the body the webhooks receive. */
export interface PendingEvent {
  id: number;
  payload: DynamicImageCompleteEvent;
}

const subscriptionsInput = z.array(
  z.strictObject({
    id: z.union([z.number().int().positive(), z.string().min(1)]),
    subscribed: z.boolean(),
    /** The body this webhook receives: today's flat one, or ApsaraVideo VOD's nested one. */
    shape: z.enum(PAYLOAD_SHAPES).optional(),
  }),
);

function present(webhook: StoredWebhook, shapes: Record<string, PayloadShape>) {
  return {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    isEnabled: webhook.isEnabled,
    events: webhook.events,
    subscribed: webhook.events.includes(COMPLETE_EVENT),
    shape: shapes[String(webhook.id)] ?? 'flat',
  };
}

/** When a pending event is re-sent; the defaults stand for keys left out of the config. */
const outboxConfig = (strapi: Core.Strapi) => ({
  resendIntervalSeconds: 30,
  resendAfterSeconds: 10,
  ...(strapi.config.get('plugin::dynamic-image.events') as object | undefined),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  deliveries: () => getService(strapi, 'eventDeliveries'),
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
    const shapes = await this.deliveries().shapes();
    return list.sort((a, b) => Number(a.id) - Number(b.id)).map((w) => present(w, shapes));
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
    const shapes: Record<string, PayloadShape> = {};
    for (const { id, subscribed, shape } of parsed.data) {
      const webhook = (await store.findWebhook(id)) as StoredWebhook | null;
      if (!webhook) throw notFound('Webhook', id);
      found.push({ webhook, subscribed });
      if (shape) shapes[String(webhook.id)] = shape;
    }
    if (Object.keys(shapes).length) await this.deliveries().setShapes(shapes);
    for (const { webhook, subscribed } of found) {
      if (webhook.events.includes(COMPLETE_EVENT) === subscribed) continue;
      const events = subscribed
        ? [...webhook.events, COMPLETE_EVENT]
        : webhook.events.filter((e) => e !== COMPLETE_EVENT);
      const updated = await store.updateWebhook(webhook.id, { ...webhook, events });
      // Strapi's runner never posts this event (the plugin delivers it, with retries); it is told of the
      // change as Strapi's own webhook controller does, so it stays in step with the store.
      if (updated) strapi.get('webhookRunner').update(updated);
    }
    return this.webhooks();
  },

  /**
   * Records a `DynamicImageComplete` event as pending. Called inside the transaction that ends the job,
   * so the event is stored with the final state or not at all; `send` hands it to delivery after the commit.
   */
  async record(event: Omit<DynamicImageCompleteEvent, 'EventType' | 'EventTime'>): Promise<PendingEvent> {
    // The template the job ran, as it was then (a later rename or delete doesn't change the event).
    const job = await strapi.db.query(JOB).findOne({ where: { jobId: event.JobId } });
    const snapshot = job ? jsonColumn<{ name?: string } | null>(job.templateSnapshot) : null;
    const payload: DynamicImageCompleteEvent = {
      EventType: 'DynamicImageComplete',
      EventTime: new Date().toISOString(),
      ...(job?.templateId ? { TemplateId: String(job.templateId) } : {}),
      ...(snapshot?.name ? { TemplateName: snapshot.name } : {}),
      ...event,
    };
    const row = await strapi.db.query(PENDING).create({ data: { jobId: event.JobId, payload } });
    return { id: row.id as number, payload };
  },

  /**
   * Hands recorded events to the plugin's delivery (a delivery and its retrying queue job per subscribed
   * webhook) and deletes them, in one transaction: a crash before it re-sends them, none after.
   */
  async send(events: Array<PendingEvent | null | undefined>) {
    const list = events.filter((e): e is PendingEvent => Boolean(e));
    if (!list.length) return;
    await strapi.db.transaction(async ({ trx }) => {
      await this.deliveries().fanOut(list, trx);
      await strapi.db.query(PENDING).deleteMany({ where: { id: { $in: list.map((e) => e.id) } } });
    });
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
