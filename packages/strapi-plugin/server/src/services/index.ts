import autoThumbnails from './auto-thumbnails';
import embeddedWorker from './embedded-worker';
import events from './events';
import fileHashes from './file-hashes';
import graphql from './graphql';
import jobs from './jobs';
import queue from './queue';
import results from './results';
import signatures from './signatures';
import templates from './templates';
import uploads from './uploads';
import workflows from './workflows';

export default {
  autoThumbnails,
  embeddedWorker,
  events,
  fileHashes,
  graphql,
  jobs,
  queue,
  results,
  signatures,
  templates,
  uploads,
  workflows,
};
