import autoThumbnail from './auto-thumbnail';
import job from './job';
import preview from './preview';
import settings from './settings';
import template from './template';
import usage from './usage';
import video from './video';
import webhook from './webhook';
import worker from './worker';
import workflow from './workflow';

export default {
  'auto-thumbnail': autoThumbnail,
  job,
  preview,
  settings,
  template,
  usage,
  video,
  webhook,
  worker,
  workflow,
};
