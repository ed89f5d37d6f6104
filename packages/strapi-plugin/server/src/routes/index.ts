import { workerEndpoints } from '@dynamic-image/core';

// The same operations on two surfaces: the admin API (admin JWT + the plugin's RBAC actions) and the
// content API (users-permissions roles and API tokens; closed until a role or token is given access).
// Worker routes are public to Strapi's auth and checked by their HMAC signature instead.

type Action =
  | 'templates.read'
  | 'templates.write'
  | 'workflows.read'
  | 'workflows.write'
  | 'jobs.read'
  | 'jobs.submit'
  | 'dynamic-images.read'
  | 'dynamic-images.write'
  | 'upload'
  | 'settings.read'
  | 'settings.update';

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: string;
  action: Action;
}

export const OPERATIONS: Operation[] = [
  { method: 'GET', path: '/templates', handler: 'template.find', action: 'templates.read' },
  { method: 'GET', path: '/templates/:templateId', handler: 'template.findOne', action: 'templates.read' },
  { method: 'POST', path: '/templates', handler: 'template.create', action: 'templates.write' },
  { method: 'PUT', path: '/templates/:templateId', handler: 'template.update', action: 'templates.write' },
  { method: 'DELETE', path: '/templates/:templateId', handler: 'template.delete', action: 'templates.write' },
  { method: 'GET', path: '/workflows', handler: 'workflow.find', action: 'workflows.read' },
  { method: 'GET', path: '/workflows/:workflowId', handler: 'workflow.findOne', action: 'workflows.read' },
  { method: 'POST', path: '/workflows', handler: 'workflow.create', action: 'workflows.write' },
  { method: 'PUT', path: '/workflows/:workflowId', handler: 'workflow.update', action: 'workflows.write' },
  { method: 'DELETE', path: '/workflows/:workflowId', handler: 'workflow.delete', action: 'workflows.write' },
  { method: 'POST', path: '/workflows/:workflowId/jobs', handler: 'workflow.run', action: 'jobs.submit' },
  { method: 'POST', path: '/jobs', handler: 'job.submit', action: 'jobs.submit' },
  { method: 'GET', path: '/jobs', handler: 'job.find', action: 'jobs.read' },
  { method: 'GET', path: '/jobs/:jobId', handler: 'job.findOne', action: 'jobs.read' },
  { method: 'POST', path: '/jobs/:jobId/retry', handler: 'job.retry', action: 'jobs.submit' },
  // What the jobs made, for charging back: a read of the jobs.
  { method: 'GET', path: '/usage', handler: 'usage.find', action: 'jobs.read' },
  { method: 'POST', path: '/upload', handler: 'video.upload', action: 'upload' },
  { method: 'GET', path: '/videos/:videoId', handler: 'video.info', action: 'dynamic-images.read' },
  {
    method: 'GET',
    path: '/videos/:videoId/dynamic-images',
    handler: 'video.dynamicImages',
    action: 'dynamic-images.read',
  },
  {
    method: 'DELETE',
    path: '/dynamic-images/:dynamicImageId',
    handler: 'video.deleteDynamicImage',
    action: 'dynamic-images.write',
  },
  {
    method: 'POST',
    path: '/dynamic-images/:dynamicImageId/cover',
    handler: 'video.setCover',
    action: 'dynamic-images.write',
  },
];

/** Routes the admin panel needs that have no content-API counterpart. */
export const ADMIN_OPERATIONS: Operation[] = [
  { method: 'GET', path: '/videos', handler: 'video.list', action: 'dynamic-images.read' },
  { method: 'GET', path: '/dynamic-images', handler: 'video.images', action: 'dynamic-images.read' },
  { method: 'POST', path: '/previews', handler: 'preview.create', action: 'templates.write' },
  { method: 'GET', path: '/previews/:previewId', handler: 'preview.findOne', action: 'templates.write' },
  { method: 'GET', path: '/folders', handler: 'settings.folders', action: 'workflows.read' },
  { method: 'GET', path: '/settings', handler: 'settings.find', action: 'settings.read' },
  { method: 'PUT', path: '/settings', handler: 'settings.update', action: 'settings.update' },
  { method: 'DELETE', path: '/settings', handler: 'settings.reset', action: 'settings.update' },
  { method: 'GET', path: '/status', handler: 'settings.status', action: 'jobs.read' },
];

export const ACTIONS: Array<{ uid: Exclude<Action, `settings.${string}`>; displayName: string }> = [
  { uid: 'templates.read', displayName: 'Read templates' },
  { uid: 'templates.write', displayName: 'Create, edit and delete templates' },
  { uid: 'workflows.read', displayName: 'Read workflows' },
  { uid: 'workflows.write', displayName: 'Create, edit and delete workflows' },
  { uid: 'jobs.read', displayName: 'Read jobs' },
  { uid: 'jobs.submit', displayName: 'Submit and retry jobs' },
  { uid: 'dynamic-images.read', displayName: 'Read dynamic images' },
  { uid: 'dynamic-images.write', displayName: 'Delete dynamic images and set covers' },
  { uid: 'upload', displayName: 'Upload videos with a workflow' },
];

/** The settings page (Settings → Dynamic images): auto-thumbnail rules, admin API only. */
export const SETTINGS_ACTIONS = [
  { uid: 'settings.read', displayName: 'Read settings (default workflow, auto-thumbnail, webhooks)' },
  { uid: 'settings.update', displayName: 'Edit settings (default workflow, auto-thumbnail, webhooks)' },
] as const;

/**
 * Admin routes beyond the plugin's own action. The webhooks routes read and edit Strapi's webhooks, whose
 * URLs and headers carry receivers' tokens: they also need Strapi's own webhooks permission, so the plugin's
 * settings actions don't open a way around Settings → Webhooks.
 */
interface SettingsRoute extends Operation {
  alsoRequires?: string[];
}

const SETTINGS_ROUTES: SettingsRoute[] = [
  { method: 'GET', path: '/auto-thumbnails', handler: 'auto-thumbnail.find', action: 'settings.read' },
  { method: 'PUT', path: '/auto-thumbnails', handler: 'auto-thumbnail.replace', action: 'settings.update' },
  // Which webhooks receive DynamicImageComplete (Strapi's Webhooks page can't show the event).
  {
    method: 'GET',
    path: '/settings/webhooks',
    handler: 'webhook.find',
    action: 'settings.read',
    alsoRequires: ['admin::webhooks.read'],
  },
  {
    method: 'PUT',
    path: '/settings/webhooks',
    handler: 'webhook.replace',
    action: 'settings.update',
    alsoRequires: ['admin::webhooks.read', 'admin::webhooks.update'],
  },
  // The delivery log names webhooks and re-posts to them: Strapi's webhooks permissions as well.
  {
    method: 'GET',
    path: '/event-deliveries',
    handler: 'webhook.deliveries',
    action: 'settings.read',
    alsoRequires: ['admin::webhooks.read'],
  },
  {
    method: 'POST',
    path: '/event-deliveries/:deliveryId/resend',
    handler: 'webhook.resend',
    action: 'settings.update',
    alsoRequires: ['admin::webhooks.read', 'admin::webhooks.update'],
  },
];

/** Worker → CMS routes, at core's paths (the worker posts to the same functions' output). */
const WORKER_ROUTES: Array<[string, string]> = [
  [workerEndpoints.jobResult(':jobId'), 'worker.result'],
  [workerEndpoints.jobProgress(':jobId'), 'worker.progress'],
  [workerEndpoints.jobFailure(':jobId'), 'worker.failure'],
  [workerEndpoints.previewResult(':previewId'), 'worker.previewResult'],
  [workerEndpoints.previewProgress(':previewId'), 'worker.previewProgress'],
  [workerEndpoints.previewFailure(':previewId'), 'worker.previewFailure'],
];

export default {
  admin: {
    type: 'admin',
    routes: [...OPERATIONS, ...ADMIN_OPERATIONS, ...SETTINGS_ROUTES].map((op: SettingsRoute) => ({
      method: op.method,
      path: op.path,
      handler: op.handler,
      config: {
        // admin::hasPermissions requires every action listed.
        policies: [
          {
            name: 'admin::hasPermissions',
            config: { actions: [`plugin::dynamic-image.${op.action}`, ...(op.alsoRequires ?? [])] },
          },
        ],
      },
    })),
  },
  'content-api': {
    type: 'content-api',
    routes: [
      ...OPERATIONS.map((op) => ({ method: op.method, path: op.path, handler: op.handler, config: {} })),
      ...WORKER_ROUTES.map(([path, handler]) => ({
        method: 'POST' as const,
        path,
        handler,
        config: { auth: false as const },
      })),
    ],
  },
};
