// Which uploads may become videos the plugin processes. The type is the one read from the file's
// bytes, never the client's declaration; Strapi's `plugin::upload.security` lists (allowedTypes,
// deniedTypes, with `*` wildcards, as @strapi/upload 5.54 matches them) apply on top.

export interface UploadSecurity {
  allowedTypes?: unknown;
  deniedTypes?: unknown;
}

const patterns = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

/** Strapi's matching: case-insensitive, `*` stands for any run of characters. */
export function matchesMimePattern(mime: string, list: readonly string[] | undefined): boolean {
  const type = mime.toLowerCase();
  return (list ?? []).some((pattern) => {
    const p = pattern.toLowerCase();
    if (!p.includes('*')) return p === type;
    const source = p
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${source}$`).test(type);
  });
}

/**
 * Why an upload can't be taken as a video, or null when it can. `detected` is the type read from
 * the bytes (undefined when unknown); `declared` is the client's, only ever a reason to refuse.
 */
export function videoUploadRefusal(input: {
  detected: string | undefined;
  declared?: string;
  security?: UploadSecurity;
}): string | null {
  const { detected, declared } = input;
  const denied = patterns(input.security?.deniedTypes);
  const allowed = patterns(input.security?.allowedTypes);
  if (!detected) return 'the file is not a video (its content is of no known type)';
  if (!detected.toLowerCase().startsWith('video/'))
    return `the file is not a video (its content is ${detected})`;
  if (matchesMimePattern(detected, denied))
    return `the type ${detected} is denied by the upload security settings`;
  const generic = !declared || declared === 'application/octet-stream';
  if (!generic && matchesMimePattern(declared, denied)) {
    return `the declared type ${declared} is denied by the upload security settings`;
  }
  if (allowed && !matchesMimePattern(detected, allowed)) {
    return `the type ${detected} is not allowed by the upload security settings`;
  }
  return null;
}
