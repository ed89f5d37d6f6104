// The one-off dialog's overrides: only what differs from the template is sent, and core judges the rest.
import { describe, expect, it } from 'vitest';
import type { Template } from '../admin/src/utils/api';
import {
  BLANK_OVERRIDES,
  checkOverrides,
  type OverrideValues,
  overrideParams,
} from '../admin/src/utils/one-off-overrides';

const gif = {
  templateId: 't1',
  name: 'hero_gif',
  format: 'gif',
  fps: 10,
  width: 320,
  captureMethod: 'byDuration',
  start: 0,
  duration: 2,
  setAsDefaultThumbnail: false,
  loopCount: 2,
  gifColors: 16,
} as unknown as Template;
const auto = { ...gif, start: 'auto' } as Template;
const trimmed = { ...gif, captureMethod: 'trimBeginEnd', duration: null, trimEnd: 1 } as unknown as Template;

describe('the one-off dialog’s overrides', () => {
  it.each<[string, Template, Partial<OverrideValues>, Record<string, unknown>]>([
    ['nothing typed', gif, {}, {}],
    [
      'the template’s own values',
      gif,
      { loopCount: 2, gifColors: 16, boomerang: false, sizeMode: 'widthHeight' },
      {},
    ],
    [
      'playback and encoder changes',
      gif,
      { loopCount: 3, speed: 2, boomerang: true, sizeMode: 'longSide', gifColors: 32, gifDither: 0 },
      { loopCount: 3, speed: 2, boomerang: true, sizeMode: 'longSide', gifColors: 32, gifDither: 0 },
    ],
    ['WebP controls on a GIF output are not sent', gif, { webpQuality: 80, webpLossless: true }, {}],
    [
      'a switch to WebP sends its controls, not the GIF ones',
      gif,
      { format: 'webp', webpQuality: 80, gifColors: 32 },
      { format: 'webp', webpQuality: 80 },
    ],
    ['an automatic start', gif, { startAuto: true, start: '4' }, { start: 'auto' }],
    ['a template’s automatic start kept', auto, { start: '4' }, {}],
    ['a template’s automatic start turned off', auto, { startAuto: false }, { start: 0 }],
    ['a time instead of the automatic start', auto, { startAuto: false, start: '1.5' }, { start: 1.5 }],
  ])('%s', (_, template, typed, expected) => {
    expect(overrideParams(template, { ...BLANK_OVERRIDES, ...typed })).toEqual(expected);
  });

  it('leaves the refusals to core: its issue and message, by the override’s name', () => {
    const issues = checkOverrides(trimmed, overrideParams(trimmed, { ...BLANK_OVERRIDES, startAuto: true }));
    expect(issues).toMatchObject([{ field: 'overrideParams.start', messageId: 'autoStart' }]);
    expect(checkOverrides(gif, { gifColors: 300 })).toMatchObject([{ field: 'overrideParams.gifColors' }]);
    expect(checkOverrides(gif, overrideParams(gif, { ...BLANK_OVERRIDES, speed: 2 }))).toEqual([]);
  });
});
