// The seam between the CMS plugin and the worker, in one place: what goes through the queue, what
// comes back over HTTP and where, and how the queues are set up. Both sides import it from here.
export * from './endpoints.js';
export * from './job.js';
export * from './queue.js';
export * from './reports.js';
export * from './result.js';
export * from './violation.js';
