import { useAuth } from '@strapi/strapi/admin';
import * as React from 'react';

/**
 * Which of the plugin's actions the signed-in user holds. The plugin's actions carry no
 * conditions, so holding the action is having it; the server checks every request anyway.
 */
export function useCan() {
  const permissions = useAuth('DynamicImages', (state) => state.permissions);
  const actions = React.useMemo(() => new Set(permissions.map((p) => p.action)), [permissions]);
  return React.useCallback(
    (wanted: Array<{ action: string }>) => wanted.some((w) => actions.has(w.action)),
    [actions],
  );
}
