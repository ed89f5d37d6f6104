// The RBAC actions the server registers (server/src/routes ACTIONS), as the admin checks them.
const action = (uid: string) => [{ action: `plugin::dynamic-image.${uid}`, subject: null }];

export const PERMISSIONS = {
  templatesRead: action('templates.read'),
  templatesWrite: action('templates.write'),
  workflowsRead: action('workflows.read'),
  workflowsWrite: action('workflows.write'),
  jobsRead: action('jobs.read'),
  jobsSubmit: action('jobs.submit'),
  imagesRead: action('dynamic-images.read'),
  imagesWrite: action('dynamic-images.write'),
  upload: action('upload'),
  settingsRead: action('settings.read'),
  settingsUpdate: action('settings.update'),
  /** Strapi's own: the webhooks section reads and edits webhooks, whose URLs carry receivers' tokens. */
  webhooksRead: [{ action: 'admin::webhooks.read', subject: null }],
  webhooksUpdate: [{ action: 'admin::webhooks.update', subject: null }],
};

/** Any one of these shows the menu entry. */
export const MENU_PERMISSIONS = [
  ...PERMISSIONS.templatesRead,
  ...PERMISSIONS.workflowsRead,
  ...PERMISSIONS.jobsRead,
  ...PERMISSIONS.imagesRead,
  ...PERMISSIONS.upload,
  ...PERMISSIONS.settingsRead,
];
