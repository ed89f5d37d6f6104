import autoThumbnail from './auto-thumbnail';
import job from './job';
import template from './template';
import video from './video';
import webhook from './webhook';
import worker from './worker';
import workflow from './workflow';

export default { 'auto-thumbnail': autoThumbnail, job, template, video, webhook, worker, workflow };
