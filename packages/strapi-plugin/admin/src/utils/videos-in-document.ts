/** A Media Library file as the Content Manager's document holds it (a populated media field). */
export interface MediaFile {
  id: number;
  name?: string;
  mime?: string;
  url?: string;
}

// Components and dynamic zones nest; a document is a tree of plain values, and this bound keeps a
// pathological one (or a cycle) from walking forever.
const MAX_DEPTH = 8;

/**
 * The videos a document holds in its media fields, at any depth (components, dynamic zones, repeatable
 * ones), each once and in the order met. Strapi populates media fields in the edit view's document.
 */
export function videosInDocument(document: unknown): MediaFile[] {
  const found = new Map<number, MediaFile>();
  const seen = new Set<object>();
  const walk = (value: unknown, depth: number) => {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (
      typeof record.id === 'number' &&
      typeof record.mime === 'string' &&
      record.mime.startsWith('video/')
    ) {
      if (!found.has(record.id)) found.set(record.id, record as unknown as MediaFile);
      return;
    }
    for (const child of Object.values(record)) walk(child, depth + 1);
  };
  walk(document, 0);
  return [...found.values()];
}
