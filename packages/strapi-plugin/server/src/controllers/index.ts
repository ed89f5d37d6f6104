import job from './job';
import template from './template';
import video from './video';
import worker from './worker';
import workflow from './workflow';

export default { job, template, video, worker, workflow };
