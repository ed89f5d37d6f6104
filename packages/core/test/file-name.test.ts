import { describe, expect, it } from 'vitest';
import {
  matchesMimePattern,
  pathInFolder,
  safeFileName,
  UnsafePathError,
  videoUploadRefusal,
} from '../src/index.js';

describe('safeFileName', () => {
  it.each([
    ['clip.mp4', 'clip.mp4'],
    ['../../../../pwn.mp4', 'pwn.mp4'],
    ['..\\..\\windows\\evil.mp4', 'evil.mp4'],
    ['/etc/passwd', 'passwd'],
    ['dir/', 'video'],
    ['..', 'video'],
    ['.', 'video'],
    ['...hidden', 'hidden'],
    ['name.', 'name'],
    ['', 'video'],
    [undefined, 'video'],
    [42, 'video'],
    ['a\u0000b\nc\rd\u007fe\u0085f.mp4', 'ab c def.mp4'],
    ['bad<>:"|?*chars.mp4', 'badchars.mp4'],
    ['  many    spaces\tand\ttabs  ', 'many spaces and tabs'],
    ['cafe\u0301.mp4', 'café.mp4'],
  ])('%j becomes %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('bounds the length in characters, never cutting an emoji in half', () => {
    expect(safeFileName('x'.repeat(500))).toHaveLength(100);
    const emoji = safeFileName('😀'.repeat(10), { maxLength: 3 });
    expect(Array.from(emoji)).toEqual(['😀', '😀', '😀']);
    expect(safeFileName('abc   def', { maxLength: 4 })).toBe('abc');
  });

  it('uses the fallback when nothing is left', () => {
    expect(safeFileName('../..', { fallback: 'result' })).toBe('result');
  });
});

describe('pathInFolder', () => {
  it.each([
    ['/tmp/job', 'output.gif', '/tmp/job/output.gif'],
    ['/tmp/job/', 'palette.png', '/tmp/job/palette.png'],
    ['/', 'x', '/x'],
    ['relative', 'a.webp', 'relative/a.webp'],
  ])('%j + %j is %j', (folder, name, expected) => {
    expect(pathInFolder(folder, name)).toBe(expected);
  });

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', '..\\x', 'a\u0000b'])('refuses %j', (name) => {
    expect(() => pathInFolder('/tmp/job', name)).toThrow(UnsafePathError);
  });
});

describe('videoUploadRefusal', () => {
  it.each([
    [{ detected: 'video/mp4' }, null],
    [{ detected: 'video/mp4', declared: 'application/octet-stream' }, null],
    [{ detected: 'video/webm', declared: 'video/mp4' }, null],
    [{ detected: undefined, declared: 'video/mp4' }, /not a video/],
    [{ detected: 'text/html', declared: 'video/mp4' }, /not a video \(its content is text\/html\)/],
    [{ detected: 'audio/mp4', declared: 'video/mp4' }, /not a video/],
    [{ detected: 'image/gif' }, /not a video/],
    [{ detected: 'video/quicktime', security: { deniedTypes: ['video/quicktime'] } }, /denied/],
    [{ detected: 'video/quicktime', security: { deniedTypes: ['video/*'] } }, /denied/],
    [
      { detected: 'video/mp4', declared: 'video/webm', security: { deniedTypes: ['video/webm'] } },
      /declared/,
    ],
    [
      {
        detected: 'video/mp4',
        declared: 'application/octet-stream',
        security: { deniedTypes: ['application/*'] },
      },
      null,
    ],
    [{ detected: 'video/mp4', security: { allowedTypes: ['video/*'] } }, null],
    [{ detected: 'video/mp4', security: { allowedTypes: ['image/*'] } }, /not allowed/],
    [{ detected: 'video/mp4', security: { allowedTypes: [] } }, /not allowed/],
    [{ detected: 'VIDEO/MP4', security: { allowedTypes: ['video/mp4'] } }, null],
  ])('%j → %s', (input, expected) => {
    const refusal = videoUploadRefusal(input as Parameters<typeof videoUploadRefusal>[0]);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });

  it("matches Strapi's wildcards, treating other characters literally", () => {
    expect(matchesMimePattern('video/mp4', ['video/*'])).toBe(true);
    expect(matchesMimePattern('video/mp4', ['*'])).toBe(true);
    expect(matchesMimePattern('image/svg+xml', ['image/svg+xml'])).toBe(true);
    expect(matchesMimePattern('videoXmp4', ['video.mp4'])).toBe(false);
    expect(matchesMimePattern('video/mp4', undefined)).toBe(false);
  });
});
