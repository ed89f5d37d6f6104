// The exported JSON Schema must accept and refuse what core's validator does, capture-method rules
// included, so the admin UI and API docs can rely on it.
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { templateJsonSchema, validateTemplate } from '../src/index.js';

// multipleOfPrecision: 0.1 + 0.2 seconds is a millisecond value to core, as it is here.
const ajv = new Ajv2020({ allErrors: true, multipleOfPrecision: 6 });
const schemaAccepts = ajv.compile(templateJsonSchema);

const base = { name: 'social-clip', format: 'gif', fps: 10, start: 0 };
const byDuration = { ...base, captureMethod: 'byDuration', duration: 3 };
const trim = { ...base, captureMethod: 'trimBeginEnd', trimEnd: 2 };

// [case, input, accepted]
const CASES: Array<[string, Record<string, unknown>, boolean]> = [
  ['byDuration with duration', byDuration, true],
  ['byDuration without duration', { ...byDuration, duration: undefined }, false],
  ['byDuration with trimEnd too', { ...byDuration, trimEnd: 1 }, false],
  ['byDuration with duration 0', { ...byDuration, duration: 0 }, false],
  ['byDuration with duration "00:00:00"', { ...byDuration, duration: '00:00:00' }, false],
  ['byDuration with duration "00:00:00.000"', { ...byDuration, duration: '00:00:00.000' }, false],
  ['byDuration with duration 0.001', { ...byDuration, duration: 0.001 }, true],
  ['byDuration with a float-noise duration', { ...byDuration, duration: 5e-324 }, false],
  ['byDuration with duration "00:00:00.001"', { ...byDuration, duration: '00:00:00.001' }, true],
  ['trimBeginEnd with trimEnd', trim, true],
  ['trimBeginEnd with trimEnd 0', { ...trim, trimEnd: 0 }, true],
  ['trimBeginEnd without trimEnd', { ...trim, trimEnd: undefined }, false],
  ['trimBeginEnd with duration too', { ...trim, duration: 3 }, false],
  ['an unknown capture method', { ...byDuration, captureMethod: 'fromTheMiddle' }, false],
  ['no capture method', { ...byDuration, captureMethod: undefined }, false],
  ['name too short', { ...byDuration, name: 'abc' }, false],
  ['name with a space', { ...byDuration, name: 'with space' }, false],
  ['format png', { ...byDuration, format: 'png' }, false],
  ['fps 0', { ...byDuration, fps: 0 }, false],
  ['fps 60', { ...byDuration, fps: 60 }, true],
  ['fps 12.5', { ...byDuration, fps: 12.5 }, false],
  ['width 127', { ...byDuration, width: 127 }, false],
  ['width 4096', { ...byDuration, width: 4096 }, true],
  ['start 86400', { ...byDuration, start: 86400 }, false],
  ['start 1.0005', { ...byDuration, start: 1.0005 }, false],
  ['start 0.1 + 0.2', { ...byDuration, start: 0.1 + 0.2 }, true],
  ['start "23:59:59.999"', { ...byDuration, start: '23:59:59.999' }, true],
  ['start "24:00:00"', { ...byDuration, start: '24:00:00' }, false],
  ['start "auto" by duration', { ...byDuration, start: 'auto' }, true],
  ['start "auto" trimming the end', { ...trim, start: 'auto' }, false],
  ['start "Auto"', { ...byDuration, start: 'Auto' }, false],
  ['an unknown field', { ...byDuration, loop: 3 }, false],
  ['setAsDefaultThumbnail "yes"', { ...byDuration, setAsDefaultThumbnail: 'yes' }, false],
  ['loopCount 0', { ...byDuration, loopCount: 0 }, true],
  ['loopCount 65536', { ...byDuration, loopCount: 65536 }, false],
  ['speed 0.35', { ...byDuration, speed: 0.35 }, true],
  ['speed 1.1', { ...byDuration, speed: 1.1 }, true],
  ['speed 1.005', { ...byDuration, speed: 1.005 }, false],
  ['speed 0.2', { ...byDuration, speed: 0.2 }, false],
  ['boomerang true', { ...byDuration, boomerang: true }, true],
  ['sizeMode longSide', { ...byDuration, sizeMode: 'longSide' }, true],
  ['sizeMode tall', { ...byDuration, sizeMode: 'tall' }, false],
  ['gifColors 4, gifDither 0.35 on a GIF', { ...byDuration, gifColors: 4, gifDither: 0.35 }, true],
  ['gifColors 257', { ...byDuration, gifColors: 257 }, false],
  ['gifColors 3', { ...byDuration, gifColors: 3 }, false],
  ['gifDither 0.355', { ...byDuration, gifDither: 0.355 }, false],
  ['webpQuality on a GIF', { ...byDuration, webpQuality: 80 }, false],
  ['webpQuality 100 on a WebP', { ...byDuration, format: 'webp', webpQuality: 100 }, true],
  ['webpQuality 0', { ...byDuration, format: 'webp', webpQuality: 0 }, false],
  ['gifColors on a WebP', { ...byDuration, format: 'webp', gifColors: 16 }, false],
  ['maxBytes 1024', { ...byDuration, maxBytes: 1024 }, true],
  ['maxBytes 1023', { ...byDuration, maxBytes: 1023 }, false],
  ['maxBytes 2048.5', { ...byDuration, maxBytes: 2048.5 }, false],
  ['webpLossless on a WebP', { ...byDuration, format: 'webp', webpLossless: true }, true],
  [
    'webpLossless with webpQuality',
    { ...byDuration, format: 'webp', webpLossless: true, webpQuality: 9 },
    false,
  ],
  [
    'webpLossless false with webpQuality',
    { ...byDuration, format: 'webp', webpLossless: false, webpQuality: 9 },
    true,
  ],
];

const withoutUndefined = (input: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));

describe('the exported JSON Schema', () => {
  it.each(CASES)('%s: accepted %s by core and by the schema', (_, input, accepted) => {
    const json = withoutUndefined(input);
    expect(validateTemplate(json).ok).toBe(accepted);
    expect(schemaAccepts(json), JSON.stringify(schemaAccepts.errors)).toBe(accepted);
  });

  it('agrees with core on random templates (property)', () => {
    const time = fc.oneof(
      fc.integer({ min: -1, max: 5 }),
      fc.double({ min: -1, max: 90000, noNaN: true }),
      fc.constantFrom('00:00:00', '00:00:00.000', '00:00:01.5', '24:00:00', 'soon'),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            name: fc.constantFrom('social-clip', 'abc', 'with space'),
            format: fc.constantFrom('gif', 'webp', 'png'),
            fps: fc.oneof(fc.integer({ min: -1, max: 61 }), fc.constant(12.5)),
            width: fc.integer({ min: 100, max: 5000 }),
            captureMethod: fc.constantFrom('byDuration', 'trimBeginEnd', 'other'),
            start: time,
            duration: time,
            trimEnd: time,
            setAsDefaultThumbnail: fc.boolean(),
            webpQuality: fc.integer({ min: 0, max: 101 }),
            webpLossless: fc.boolean(),
            gifColors: fc.integer({ min: 1, max: 257 }),
            gifDither: fc.oneof(fc.double({ min: -0.1, max: 1.1, noNaN: true }), fc.constant(0.35)),
            maxBytes: fc.integer({ min: 1000, max: 600 * 1024 * 1024 }),
          },
          { requiredKeys: ['name', 'format', 'fps', 'captureMethod'] },
        ),
        (input) => {
          const core = validateTemplate(input).ok;
          expect(schemaAccepts(input), `${JSON.stringify(input)}: core says ${core}`).toBe(core);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
