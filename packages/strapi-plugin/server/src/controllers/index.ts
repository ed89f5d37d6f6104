import job from './job';
import preview from './preview';
import settings from './settings';
import template from './template';
import video from './video';
import worker from './worker';
import workflow from './workflow';

export default { job, preview, settings, template, video, worker, workflow };
