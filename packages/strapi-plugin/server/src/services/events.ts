import type { Core } from '@strapi/strapi';

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

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  register() {
    // Listed in Settings → Webhooks; every webhook subscribed to it receives the payload.
    strapi.get('webhookStore').addAllowedEvent('DYNAMIC_IMAGE_COMPLETE', COMPLETE_EVENT);
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
