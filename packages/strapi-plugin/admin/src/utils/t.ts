import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../pluginId';

export const getTranslation = (id: string) => `${PLUGIN_ID}.${id}`;

type Values = Record<string, string | number | boolean | null | undefined | Date>;

/** `t(id, english, values)`: every string goes through react-intl under the plugin's prefix. */
export function useT() {
  const { formatMessage } = useIntl();
  return (id: string, defaultMessage: string, values?: Values) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values as never) as string;
}
