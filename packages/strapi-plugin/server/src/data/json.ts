/**
 * A JSON column's value. Strapi's Postgres dialect installs pg-types parsers that leave json and jsonb
 * as text, while rows written in the same request (and pg-boss's own pool) hold parsed values: both
 * come through here.
 */
export function jsonColumn<T = unknown>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
