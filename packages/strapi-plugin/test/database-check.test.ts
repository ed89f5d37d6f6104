import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { databaseRefusal, UnsupportedDatabaseError } from '../server/src/database-check';

describe('the database check at register', () => {
  it.each(['postgres', 'pg', 'postgresql', 'Postgres'])('lets %s through', (client) => {
    expect(databaseRefusal(client)).toBeNull();
  });

  it.each([
    ['sqlite', 'SQLite'],
    ['better-sqlite3', 'SQLite'],
    ['mysql', 'MySQL'],
    ['mysql2', 'MySQL'],
    ['mariadb', 'MariaDB'],
    ['mssql', '"mssql"'],
    [undefined, 'not set'],
  ])('refuses %s in one line naming %s and the way to Postgres', (client, name) => {
    const refusal = databaseRefusal(client) as string;
    expect(refusal).toContain(`this app's database is ${name}`);
    expect(refusal).toContain("client 'postgres'");
    expect(refusal).toContain('https://docs.strapi.io/cms/configurations/database#postgresql');
    expect(refusal).not.toContain('\n');
  });

  it('is an error whose printout is that line, with no stack (Strapi’s own print: test/install)', () => {
    const error = new UnsupportedDatabaseError('dynamic-image needs PostgreSQL');
    expect(error.stack).toBe('');
    expect(inspect(error)).toBe('[UnsupportedDatabaseError: dynamic-image needs PostgreSQL]');
  });
});
