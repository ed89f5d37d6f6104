export const PLUGIN_ID = 'dynamic-image';
