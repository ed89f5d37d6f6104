// Postgres only: Strapi and pg-boss share this database (pg-boss keeps to its own schema).
// Not annotated with Core.Config.Database: a connection-string-only config fails that type (TS2322).
export default ({ env }: { env: (key: string, fallback?: string) => string }) => ({
  connection: {
    client: 'postgres',
    connection: { connectionString: env('DATABASE_URL') },
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 60000,
  },
});
