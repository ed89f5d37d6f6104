// start "auto" in the plugin: stored beside the start column, read back as it was saved, and the
// window the job used carried to the DynamicImageComplete event (flat and VOD shapes).
import { parseTemplate } from '@dynamic-image/core';
import { describe, expect, it } from 'vitest';
import { toRow, toTemplate } from '../server/src/data/templates';
import { type DynamicImageCompleteEvent, toVodShape, windowEventFields } from '../server/src/events/payload';

const base = { name: 'highlight', format: 'gif', fps: 10, captureMethod: 'byDuration', duration: 3 };

describe('template rows', () => {
  it('store start "auto" as a flag beside a 0 start, and read it back', () => {
    const template = parseTemplate({ ...base, start: 'auto' });
    const row = toRow(template);
    expect(row).toMatchObject({ start: 0, startAuto: true });
    expect(toTemplate({ ...row, templateId: 't1' })).toMatchObject({ start: 'auto', duration: 3 });
  });

  it('leave a fixed start as it was (no flag), also for rows saved before the flag', () => {
    const row = toRow(parseTemplate({ ...base, start: 1.5 }));
    expect(row).toMatchObject({ start: 1.5, startAuto: null });
    const { startAuto: _, ...older } = row;
    expect(toTemplate({ ...older, templateId: 't2' }).start).toBe(1.5);
  });
});

describe('event window fields', () => {
  const event: DynamicImageCompleteEvent = {
    EventType: 'DynamicImageComplete',
    EventTime: '2026-11-30T00:00:00.000Z',
    VideoId: 1,
    JobId: 'j1',
    Status: 'success',
    ...windowEventFields({ window: { start: 4.25, end: 7.25, duration: 3, auto: true } }),
  };

  it('say the window used and whether it was chosen automatically', () => {
    expect(windowEventFields({ window: { start: 4.25, end: 7.25, duration: 3, auto: true } })).toEqual({
      WindowStart: 4.25,
      WindowDuration: 3,
      WindowAuto: true,
    });
    expect(windowEventFields({ window: { start: 1, end: 3, duration: 2 } }).WindowAuto).toBe(false);
    expect(windowEventFields(null)).toEqual({});
  });

  it('stay at the top of the VOD shape', () => {
    expect(toVodShape(event)).toMatchObject({ WindowStart: 4.25, WindowDuration: 3, WindowAuto: true });
  });
});
