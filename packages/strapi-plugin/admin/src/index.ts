import { Images } from '@strapi/icons';
import { DynamicImagesPanel } from './components/DynamicImagesPanel';
import { MENU_PERMISSIONS } from './permissions';
import { PLUGIN_ID } from './pluginId';
import en from './translations/en.json';
import zhHans from './translations/zh-Hans.json';
import { getTranslation } from './utils/t';

const translations: Record<string, Record<string, string>> = { en, 'zh-Hans': zhHans };

export default {
  register(app: {
    registerPlugin(plugin: { id: string; name: string }): void;
    addMenuLink(link: unknown): void;
  }) {
    app.addMenuLink({
      to: `plugins/${PLUGIN_ID}`,
      icon: Images,
      intlLabel: { id: getTranslation('plugin.name'), defaultMessage: 'Dynamic images' },
      permissions: MENU_PERMISSIONS,
      Component: () => import('./pages/App'),
    });
    app.registerPlugin({ id: PLUGIN_ID, name: 'Dynamic images' });
  },

  bootstrap(app: { getPlugin(id: string): { apis?: Record<string, unknown> } | undefined }) {
    // The Content Manager's API for side panels (Strapi 5); an older or trimmed admin without it gets none.
    const addEditViewSidePanel = app.getPlugin('content-manager')?.apis?.addEditViewSidePanel as
      | ((panels: unknown[]) => void)
      | undefined;
    addEditViewSidePanel?.([DynamicImagesPanel]);
  },

  async registerTrads({ locales }: { locales: string[] }) {
    return locales.map((locale) => {
      const data = translations[locale] ?? {};
      return {
        locale,
        data: Object.fromEntries(Object.entries(data).map(([key, value]) => [getTranslation(key), value])),
      };
    });
  },
};
