// Which videos the Content Manager's side panel shows: those in a document's media fields, at any depth.
import { describe, expect, it } from 'vitest';
import { videosInDocument } from '../admin/src/utils/videos-in-document';

const video = (id: number, mime = 'video/mp4') => ({
  id,
  name: `v${id}.mp4`,
  mime,
  url: `/uploads/v${id}.mp4`,
});

describe('videosInDocument', () => {
  it.each([
    ['no document', undefined, []],
    ['a media field holding a video', { title: 'a', video: video(1) }, [1]],
    ['an image is not a video', { cover: { id: 2, mime: 'image/png' } }, []],
    ['a multiple media field, in order, once each', { clips: [video(3), video(4), video(3)] }, [3, 4]],
    [
      'components and dynamic zones',
      {
        blocks: [
          { __component: 'media.clip', clip: video(5) },
          { __component: 'x', nested: { v: video(6, 'video/webm') } },
        ],
      },
      [5, 6],
    ],
    ['a mime that is not a string', { v: { id: 7, mime: 7 } }, []],
  ])('%s', (_name, document, ids) => {
    expect(videosInDocument(document).map((v) => v.id)).toEqual(ids);
  });

  it('stops at a cycle and at depth', () => {
    const cyclic: Record<string, unknown> = { v: video(8) };
    cyclic.self = cyclic;
    expect(videosInDocument(cyclic).map((v) => v.id)).toEqual([8]);
    let deep: Record<string, unknown> = { v: video(9) };
    for (let i = 0; i < 20; i++) deep = { inner: deep };
    expect(videosInDocument(deep)).toEqual([]);
  });
});
