// Names that come from users (a video's Media Library name) end up in file names and Media Library
// names; paths the plugin and the worker write are built from a folder of their own and a name of
// theirs. Both rules live here, pure, so every writer uses the same ones.

/** Path separators, control characters and the characters Strapi's upload refuses in file names. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const UNSAFE = /[\u0000-\u001f\u007f-\u009f<>:"|?*]/g;

export interface SafeFileNameOptions {
  /** Longest name kept, in characters (code points, so no emoji is cut in half). */
  maxLength?: number;
  /** Used when nothing is left of the name. */
  fallback?: string;
}

/**
 * A display name made from a user's file name: its last path segment only, without control or
 * reserved characters, runs of spaces made one, no leading or trailing dots or spaces (`..` and
 * hidden names go), at most `maxLength` characters; `fallback` when nothing is left.
 */
export function safeFileName(name: unknown, options: SafeFileNameOptions = {}): string {
  const { maxLength = 100, fallback = 'video' } = options;
  const text = typeof name === 'string' ? name.normalize('NFC') : '';
  const last = text.split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .replace(/\s+/g, ' ')
    .replace(UNSAFE, '')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const bounded = Array.from(cleaned)
    .slice(0, maxLength)
    .join('')
    .replace(/[\s.]+$/, '');
  return bounded || fallback;
}

/** Thrown when a file name would not stay inside its folder. */
export class UnsafePathError extends Error {
  constructor(folder: string, fileName: string) {
    super(`${JSON.stringify(fileName)} is not a plain file name inside ${folder}`);
    this.name = 'UnsafePathError';
  }
}

/**
 * The path of `fileName` inside `folder`. Only one plain segment is taken (no separator, no `.` or
 * `..`, no NUL), so the path can't leave the folder whatever the folder is; anything else throws.
 */
export function pathInFolder(folder: string, fileName: string): string {
  if (
    !folder ||
    !fileName ||
    fileName === '.' ||
    fileName === '..' ||
    /[/\\]/.test(fileName) ||
    fileName.includes('\0')
  ) {
    throw new UnsafePathError(folder, fileName);
  }
  return `${folder.replace(/[/\\]+$/, '')}/${fileName}`;
}
