import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { findWorkflow } from '../data/workflows';
import { invalidParameter } from '../errors';

// Settings changed in the admin live in the plugin store and win over config/plugins.ts; until
// someone saves them, the config's value applies.
const settingsInput = z.strictObject({
  /** A workflow id or name, or null for none. */
  defaultWorkflow: z.string().trim().min(1).nullable(),
});

export interface Settings {
  defaultWorkflow: string | null;
  /** Where defaultWorkflow comes from: saved in the admin, or config/plugins.ts. */
  source: 'settings' | 'config';
  configDefaultWorkflow: string | null;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const store = () => strapi.store({ type: 'plugin', name: 'dynamic-image', key: 'settings' });
  const configDefault = () =>
    (strapi.config.get('plugin::dynamic-image.defaultWorkflow') as string | null | undefined) ?? null;

  return {
    async get(): Promise<Settings> {
      const saved = (await store().get({})) as { defaultWorkflow?: string | null } | null;
      const fromStore = saved && Object.hasOwn(saved, 'defaultWorkflow');
      return {
        defaultWorkflow: fromStore ? (saved.defaultWorkflow ?? null) : configDefault(),
        source: fromStore ? 'settings' : 'config',
        configDefaultWorkflow: configDefault(),
      };
    },

    async update(input: unknown): Promise<Settings> {
      const parsed = settingsInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || 'settings';
        throw invalidParameter(field, `${field}: ${issue?.message ?? 'invalid'}`);
      }
      const { defaultWorkflow } = parsed.data;
      // Stored by id, so renaming the workflow keeps the setting.
      const id = defaultWorkflow ? (await findWorkflow(strapi, defaultWorkflow)).workflowId : null;
      await store().set({ value: { defaultWorkflow: id } });
      return this.get();
    },

    /** Back to the value of config/plugins.ts. */
    async reset(): Promise<Settings> {
      await store().delete({});
      return this.get();
    },
  };
};
