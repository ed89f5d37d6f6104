import autoThumbnails from './auto-thumbnails';
import callers from './callers';
import embeddedWorker from './embedded-worker';
import eventDeliveries from './event-deliveries';
import events from './events';
import fileHashes from './file-hashes';
import graphql from './graphql';
import jobs from './jobs';
import previews from './previews';
import queue from './queue';
import results from './results';
import settings from './settings';
import sharedEncodes from './shared-encodes';
import signatures from './signatures';
import status from './status';
import templates from './templates';
import uploads from './uploads';
import usage from './usage';
import videos from './videos';
import workerReports from './worker-reports';
import workflows from './workflows';

export default {
  autoThumbnails,
  callers,
  embeddedWorker,
  eventDeliveries,
  events,
  fileHashes,
  graphql,
  jobs,
  previews,
  queue,
  results,
  settings,
  sharedEncodes,
  signatures,
  status,
  templates,
  uploads,
  usage,
  videos,
  workerReports,
  workflows,
};
