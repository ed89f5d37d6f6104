/**
 * The plugin keeps its queue (pg-boss) and its locks in the app's own database, so it runs on PostgreSQL
 * only. A new Strapi app starts on SQLite; without this check the app would pass config validation and
 * then fail deep inside pg-pool or pg-boss. It is checked in `register`, before anything connects.
 */
const POSTGRES_CLIENTS = new Set(['postgres', 'pg', 'postgresql']);

const NAMES: Record<string, string> = {
  sqlite: 'SQLite',
  sqlite3: 'SQLite',
  'better-sqlite3': 'SQLite',
  mysql: 'MySQL',
  mysql2: 'MySQL',
  mariadb: 'MariaDB',
};

export const POSTGRES_GUIDE = 'https://docs.strapi.io/cms/configurations/database#postgresql';

/** The one-line refusal for a database client the plugin can't use, or null for PostgreSQL. */
export function databaseRefusal(client: unknown): string | null {
  const key = typeof client === 'string' ? client.toLowerCase() : '';
  if (POSTGRES_CLIENTS.has(key)) return null;
  const name = NAMES[key] ?? (key ? `"${key}"` : 'not set');
  return (
    `dynamic-image needs PostgreSQL, and this app's database is ${name} (database.connection.client). ` +
    `Move the app to PostgreSQL (set client 'postgres' in config/database, ${POSTGRES_GUIDE}), ` +
    `or remove the plugin from config/plugins.`
  );
}

/**
 * An error Strapi prints as that one line. Its logger prints an error's message and then, on the next line, its
 * stack: so the stack is empty (a stack would read like a crash; the name and message again, like two errors).
 */
export class UnsupportedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedDatabaseError';
    this.stack = '';
  }
}
