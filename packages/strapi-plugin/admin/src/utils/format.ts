export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** Seconds between two ISO dates (or until now), as "4.2 s" / "1 min 05 s". */
export function formatDuration(from: string | null, to: string | null, now = Date.now()): string {
  if (!from) return '—';
  const ms = (to ? Date.parse(to) : now) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  // Round once, then split: rounding the remainder alone turns 119.6 s into "1 min 60 s" (and 59.96 s into "60.0 s").
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** Media Library URLs are relative to the CMS; the admin may be served from elsewhere. */
export function absoluteUrl(url: string | null | undefined): string {
  if (!url) return '';
  if (/^https?:\/\//.test(url)) return url;
  const backend = (window as unknown as { strapi?: { backendURL?: string } }).strapi?.backendURL ?? '';
  return `${backend}${url}`;
}

/** A time field as typed: a plain number is seconds; anything else goes to core as typed, so its time rules answer. */
export function timeInput(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}
