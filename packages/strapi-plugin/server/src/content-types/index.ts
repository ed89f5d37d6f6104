import autoThumbnail from './auto-thumbnail/schema.json';
import dynamicImage from './dynamic-image/schema.json';
import eventDelivery from './event-delivery/schema.json';
import fileHash from './file-hash/schema.json';
import job from './job/schema.json';
import pendingEvent from './pending-event/schema.json';
import preview from './preview/schema.json';
import template from './template/schema.json';
import usedSignature from './used-signature/schema.json';
import workflow from './workflow/schema.json';

export default {
  template: { schema: template },
  workflow: { schema: workflow },
  job: { schema: job },
  'dynamic-image': { schema: dynamicImage },
  'auto-thumbnail': { schema: autoThumbnail },
  'file-hash': { schema: fileHash },
  preview: { schema: preview },
  'pending-event': { schema: pendingEvent },
  'event-delivery': { schema: eventDelivery },
  'used-signature': { schema: usedSignature },
};
