// DynamicImageComplete delivered by the plugin itself: one delivery per (event, subscribed webhook), posted
// by a pg-boss job that retries with backoff for at least a day and survives restarts. Strapi's own webhook
// runner posts once, from memory, and never retries, so a receiver down for a minute lost the event.
import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { jsonColumn as json } from '../data/json';
import type { Sql } from '../data/sql';
import { ApiError, invalidParameter, notFound } from '../errors';
import { deliveryConfig } from '../events/delivery-config';
import {
  COMPLETE_EVENT,
  type DynamicImageCompleteEvent,
  EVENT_DELIVERY_HEADER,
  EVENT_SIGNATURE_HEADER,
  type PayloadShape,
  shapePayload,
  signEventBody,
} from '../events/payload';
import { getService } from '../utils/get-service';

const DELIVERY = 'plugin::dynamic-image.event-delivery';
const LOG_LENGTH = 20;
const SECRET_KEY = 'event-signing-secret';
const SHAPES_KEY = 'webhook-payload-shapes';

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'failed' | 'cancelled';
interface Attempt {
  at: string;
  status: number | null;
  error?: string;
  ms: number;
}
interface DeliveryRow {
  id: number;
  jobId: string;
  webhookId: string;
  webhookName: string | null;
  payload: DynamicImageCompleteEvent | string;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  log: Attempt[] | string | null;
  createdAt: string;
}
/** A webhook as Strapi's webhook store keeps it. */
export interface StoredWebhook {
  id: number | string;
  name: string;
  url: string;
  headers?: Record<string, string>;
  events: string[];
  isEnabled: boolean;
}

const listQuery = z.strictObject({
  webhookId: z.string().min(1).max(64).optional(),
  jobId: z.string().min(1).max(128).optional(),
  state: z.enum(['pending', 'retrying', 'delivered', 'failed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

function present(row: DeliveryRow) {
  const payload = json<DynamicImageCompleteEvent>(row.payload);
  return {
    deliveryId: row.id,
    jobId: row.jobId,
    videoId: payload.VideoId,
    status: payload.Status,
    webhookId: row.webhookId,
    webhookName: row.webhookName,
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
    log: json<Attempt[]>(row.log ?? []),
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const store = () => strapi.store({ type: 'plugin', name: 'dynamic-image' });
  const queue = () => getService(strapi, 'queue');
  const webhookStore = () => strapi.get('webhookStore');

  return {
    /** The configured signing secret, or one made once and kept in the plugin store. */
    async signingSecret(): Promise<string> {
      const configured = deliveryConfig(strapi).signingSecret;
      if (configured) return configured;
      const stored = (await store().get({ key: SECRET_KEY })) as string | null;
      if (stored) return stored;
      const made = `whsec_${randomBytes(24).toString('hex')}`;
      await store().set({ key: SECRET_KEY, value: made });
      return made;
    },

    async shapes(): Promise<Record<string, PayloadShape>> {
      return ((await store().get({ key: SHAPES_KEY })) as Record<string, PayloadShape> | null) ?? {};
    },

    async setShapes(changes: Record<string, PayloadShape>): Promise<void> {
      await store().set({ key: SHAPES_KEY, value: { ...(await this.shapes()), ...changes } });
    },

    /**
     * One delivery per subscribed, enabled webhook for each event, each with its pg-boss job, in the
     * caller's transaction (the outbox row is deleted in the same one).
     */
    async fanOut(events: Array<{ payload: DynamicImageCompleteEvent }>, trx: Sql): Promise<number> {
      const webhooks = ((await webhookStore().findWebhooks()) as StoredWebhook[]).filter(
        (w) => w.isEnabled && w.events.includes(COMPLETE_EVENT),
      );
      let made = 0;
      for (const { payload } of events) {
        for (const webhook of webhooks) {
          const row = await strapi.db.query(DELIVERY).create({
            data: {
              jobId: payload.JobId,
              webhookId: String(webhook.id),
              webhookName: webhook.name,
              payload,
              state: 'pending',
              attempts: 0,
              log: [],
            },
          });
          await queue().sendEventDelivery(row.id as number, trx);
          made++;
        }
      }
      return made;
    },

    /** One POST of a delivery to its webhook, as it is now (its URL and headers may have been edited). */
    async attempt(deliveryId: number): Promise<DeliveryState> {
      const row = (await strapi.db
        .query(DELIVERY)
        .findOne({ where: { id: deliveryId } })) as DeliveryRow | null;
      if (!row || row.state === 'delivered' || row.state === 'cancelled') return row?.state ?? 'cancelled';
      const webhook = (await webhookStore().findWebhook(row.webhookId)) as StoredWebhook | null;
      if (!webhook || !webhook.isEnabled || !webhook.events.includes(COMPLETE_EVENT)) {
        await strapi.db.query(DELIVERY).update({
          where: { id: deliveryId },
          data: { state: 'cancelled', lastError: 'the webhook was deleted, disabled or unsubscribed' },
        });
        return 'cancelled';
      }
      const shape = (await this.shapes())[String(webhook.id)] ?? 'flat';
      const body = JSON.stringify(shapePayload(json<DynamicImageCompleteEvent>(row.payload), shape));
      const { timeoutSeconds } = deliveryConfig(strapi);
      const started = Date.now();
      let status: number | null = null;
      let error: string | undefined;
      try {
        const response = await fetch(webhook.url, {
          method: 'POST',
          headers: {
            ...(webhook.headers ?? {}),
            'content-type': 'application/json',
            [EVENT_DELIVERY_HEADER]: String(row.id),
            'x-strapi-event': COMPLETE_EVENT,
            [EVENT_SIGNATURE_HEADER]: signEventBody(await this.signingSecret(), body, new Date()),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutSeconds * 1000),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (err) {
        error = (err as Error).cause
          ? String(((err as Error).cause as Error).message)
          : (err as Error).message;
      }
      const delivered = status !== null && status >= 200 && status < 300;
      const attempt: Attempt = { at: new Date(started).toISOString(), status, ms: Date.now() - started };
      if (error) attempt.error = error;
      const state: DeliveryState = delivered ? 'delivered' : 'retrying';
      try {
        await strapi.db.query(DELIVERY).update({
          where: { id: deliveryId },
          data: {
            state,
            attempts: row.attempts + 1,
            lastStatus: status,
            lastError: delivered ? null : (error ?? `HTTP ${status}`),
            deliveredAt: delivered ? new Date() : null,
            log: [...json<Attempt[]>(row.log ?? []), attempt].slice(-LOG_LENGTH),
          },
        });
      } catch (err) {
        // The receiver has it, but nothing says so: the delivery is posted again (at least once).
        strapi.log.warn(
          `[dynamic-image] delivery ${deliveryId} answered ${status ?? error}, but the answer was not recorded (${(err as Error).message}): it will be posted again`,
        );
        throw err;
      }
      return state;
    },

    /** The pg-boss handler: a failed attempt throws so pg-boss retries it, until its last one. */
    async handle(job: { data: { deliveryId: number }; retryCount: number; retryLimit: number }) {
      const id = Number(job.data.deliveryId);
      const state = await this.attempt(id);
      if (state !== 'retrying') return;
      if (job.retryCount >= job.retryLimit) {
        await strapi.db.query(DELIVERY).update({ where: { id }, data: { state: 'failed' } });
        return;
      }
      throw new Error(`delivery ${id} not accepted; retried later`);
    },

    async list(query: unknown) {
      const parsed = listQuery.safeParse(query ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalidParameter(String(issue?.path[0] ?? 'query'), issue?.message ?? 'invalid');
      }
      const { limit, ...where } = parsed.data;
      const rows = (await strapi.db
        .query(DELIVERY)
        .findMany({ where, orderBy: { id: 'desc' }, limit })) as DeliveryRow[];
      return rows.map(present);
    },

    /** Sends a delivery again (after it was delivered, failed or cancelled), with a fresh set of retries. */
    async resend(deliveryId: unknown) {
      const id = Number(deliveryId);
      if (!Number.isInteger(id) || id < 1) throw invalidParameter('deliveryId', 'must be a positive integer');
      return (await strapi.db.transaction(async ({ trx }) => {
        const { count } = await strapi.db.query(DELIVERY).updateMany({
          where: { id, state: { $in: ['delivered', 'failed', 'cancelled'] } },
          data: { state: 'pending' },
        });
        if (!count) {
          const row = await strapi.db.query(DELIVERY).findOne({ where: { id } });
          if (!row) throw notFound('Delivery', id);
          throw new ApiError(
            409,
            'Conflict.DeliveryState',
            `delivery ${id} is ${row.state}: it is being sent already`,
          );
        }
        await queue().sendEventDelivery(id, trx);
        return present((await strapi.db.query(DELIVERY).findOne({ where: { id } })) as DeliveryRow);
      })) as ReturnType<typeof present>;
    },
  };
};
