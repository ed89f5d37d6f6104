// The seam between plugin and worker: every body either side sends is checked by these schemas, so
// they must take what a worker really sends and refuse what would corrupt a job row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CMS_CLAIM_HEARTBEAT_SECONDS,
  ContractViolation,
  DEAD_LETTER_RETENTION_SECONDS,
  DynamicImageError,
  type DynamicImageResult,
  decodeResultMetadata,
  deliveryUrl,
  encodeResultMetadata,
  failureBody,
  isPreviewJob,
  JOB_STAGES,
  MAX_FAILURE_MESSAGE,
  PLUGIN_API_PREFIX,
  PREVIEW_META,
  parseFailureBody,
  parseProgressBody,
  progressBody,
  QUEUE_DEFAULTS,
  QUEUE_NAMES,
  queueOptions,
  reportUrl,
  WORKER_SESSION_PATTERN,
  workerEndpoints,
  workerSessionName,
} from '../src/index.js';

const accepts = (parse: (input: unknown) => unknown, input: unknown) => {
  try {
    parse(input);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(ContractViolation);
    return false;
  }
};

describe('progress report', () => {
  const good = { jobId: 'job-1', stage: 'encode', percent: 40, attempt: 1 };
  // [case, body, accepted]
  const CASES: Array<[string, unknown, boolean]> = [
    ['what a worker sends', good, true],
    ['a fractional percent', { ...good, percent: 33.3 }, true],
    ['percent 0 and stage fetch', { ...good, percent: 0, stage: 'fetch' }, true],
    ['percent 100 and stage deliver', { ...good, percent: 100, stage: 'deliver' }, true],
    ['a field from a newer worker', { ...good, etaSeconds: 3 }, true],
    ['an empty object', {}, false],
    ['null', null, false],
    ['an array', [good], false],
    ['percent 500', { ...good, percent: 500 }, false],
    ['percent -1', { ...good, percent: -1 }, false],
    ['percent as a string', { ...good, percent: '40' }, false],
    ['percent null (NaN on the wire)', { ...good, percent: null }, false],
    ['no percent', { ...good, percent: undefined }, false],
    ['an unknown stage', { ...good, stage: 'done' }, false],
    ['attempt 0', { ...good, attempt: 0 }, false],
    ['attempt 1.5', { ...good, attempt: 1.5 }, false],
    ['attempt past any queue', { ...good, attempt: 2 ** 31 }, false],
    ['no jobId', { ...good, jobId: undefined }, false],
    ['an empty jobId', { ...good, jobId: '' }, false],
    ['jobId a number', { ...good, jobId: 7 }, false],
  ];
  it.each(CASES)('%s → accepted: %s', (_name, body, accepted) => {
    expect(accepts(parseProgressBody, body)).toBe(accepted);
  });

  it('the worker builds only bodies the plugin accepts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...JOB_STAGES),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 21 }),
        (stage, percent, attempt) => {
          const body = progressBody({ jobId: 'j', stage, percent }, attempt);
          expect(parseProgressBody(JSON.parse(JSON.stringify(body)))).toEqual(body);
        },
      ),
    );
  });

  it('names the field and the rule it breaks', () => {
    expect(() => parseProgressBody({ ...good, percent: 500 })).toThrow(
      /Invalid progress report: percent: .*100/,
    );
  });
});

describe('failure report', () => {
  const good = { code: 'SOURCE_UNREACHABLE', message: 'no answer', attempt: 2, final: true };
  const CASES: Array<[string, unknown, boolean]> = [
    ['what a worker sends', good, true],
    ['with details', { ...good, details: { status: 503 } }, true],
    ['a code from a newer worker', { ...good, code: 'GPU_MISSING' }, true],
    ['an empty message', { ...good, message: '' }, true],
    ['an empty object', {}, false],
    ['final as a string', { ...good, final: 'true' }, false],
    ['no final', { ...good, final: undefined }, false],
    ['a lower-case code', { ...good, code: 'internal' }, false],
    ['a code that is SQL', { ...good, code: "X'); drop table x;--" }, false],
    ['message a number', { ...good, message: 500 }, false],
    ['a message past the limit', { ...good, message: 'x'.repeat(MAX_FAILURE_MESSAGE + 1) }, false],
    ['attempt 0', { ...good, attempt: 0 }, false],
    ['attempt as a string', { ...good, attempt: '1' }, false],
    ['details an array', { ...good, details: [1] }, false],
  ];
  it.each(CASES)('%s → accepted: %s', (_name, body, accepted) => {
    expect(accepts(parseFailureBody, body)).toBe(accepted);
  });

  it('the worker cuts a long message to fit and keeps the code and details', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), fc.boolean(), (message, final) => {
        const error = new DynamicImageError('ENCODE_FAILED', message || 'x', { exitCode: 1 });
        const body = failureBody(error, 1, final);
        expect(body.message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
        expect(body).toMatchObject({ code: 'ENCODE_FAILED', details: { exitCode: 1 }, attempt: 1, final });
        expect(parseFailureBody(JSON.parse(JSON.stringify(body)))).toEqual(body);
      }),
    );
  });
});

describe('result metadata (the result header)', () => {
  const result: DynamicImageResult = {
    version: 1,
    jobId: 'job-1',
    format: 'gif',
    width: 320,
    height: 180,
    fps: 10,
    frameCount: 20,
    duration: 2,
    bytes: 1234,
    loop: 0,
    window: { start: 1, end: 3, duration: 2 },
    sha256: 'a'.repeat(64),
    timings: { fetchMs: 1, probeMs: 2, encodeMs: 3, verifyMs: 4, totalMs: 10 },
  };

  it('decodes what it encodes, ids with any characters included', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }), (jobId) => {
        const header = encodeResultMetadata({ ...result, jobId });
        expect(header).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeResultMetadata(header)).toEqual({ ...result, jobId });
      }),
    );
  });

  it('is what Node reads as base64url JSON', () => {
    expect(JSON.parse(Buffer.from(encodeResultMetadata(result), 'base64url').toString())).toEqual(result);
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each<[string, string | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['not base64url', '{"jobId":"x"}'],
    ['base64url of text', Buffer.from('hello').toString('base64url')],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')],
    ['an empty object', encode({})],
    ['a png', encode({ ...result, format: 'png' })],
    ['a negative size', encode({ ...result, bytes: -1 })],
    ['a short sha256', encode({ ...result, sha256: 'abc' })],
  ])('refuses %s', (_name, header) => {
    expect(() => decodeResultMetadata(header)).toThrow(ContractViolation);
  });

  it('a worker cannot encode a result that breaks the rules', () => {
    expect(() => encodeResultMetadata({ ...result, width: 0 })).toThrow(/width/);
  });
});

describe('endpoints', () => {
  const id = fc.uuid();
  it('the paths a worker posts to are the routes the plugin registers, for every id', () => {
    fc.assert(
      fc.property(
        id,
        fc.constantFrom('http://cms:1337', 'https://cms.example/', 'http://[::1]:8080'),
        (jobId, base) => {
          for (const kind of ['job', 'preview'] as const) {
            const url = deliveryUrl(base, workerEndpoints[`${kind}Result`](jobId));
            for (const report of ['result', 'progress', 'failure'] as const) {
              const suffix = `${report.charAt(0).toUpperCase()}${report.slice(1)}` as 'Result';
              const route = workerEndpoints[`${kind}${suffix}`](`:${kind}Id`);
              const path = reportUrl(url, report).pathname;
              expect(path).toBe(`${PLUGIN_API_PREFIX}${route.replace(`:${kind}Id`, jobId)}`);
            }
          }
        },
      ),
    );
  });

  it('keeps the routes the plugin has always had', () => {
    expect(workerEndpoints.jobResult(':jobId')).toBe('/worker/jobs/:jobId');
    expect(workerEndpoints.jobProgress(':jobId')).toBe('/worker/jobs/:jobId/progress');
    expect(workerEndpoints.previewFailure(':previewId')).toBe('/worker/previews/:previewId/failure');
  });
});

describe('queues', () => {
  it('creates the dead-letter queue first, keeping 14 days, retried for hours, its claim held by a heartbeat', () => {
    const [dead, jobs] = queueOptions();
    expect(dead).toEqual({
      name: QUEUE_NAMES.deadLetter,
      options: {
        retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        retryLimit: 20,
        retryDelay: 5,
        retryBackoff: true,
        retryDelayMax: 600,
        heartbeatSeconds: CMS_CLAIM_HEARTBEAT_SECONDS,
      },
    });
    expect(CMS_CLAIM_HEARTBEAT_SECONDS).toBe(10);
    expect(DEAD_LETTER_RETENTION_SECONDS).toBe(14 * 24 * 3600);
    expect(jobs).toEqual({
      name: QUEUE_NAMES.jobs,
      options: {
        retryLimit: QUEUE_DEFAULTS.retryLimit,
        retryDelay: QUEUE_DEFAULTS.retryDelaySeconds,
        retryBackoff: QUEUE_DEFAULTS.retryBackoff,
        expireInSeconds: QUEUE_DEFAULTS.expireInSeconds,
        heartbeatSeconds: QUEUE_DEFAULTS.heartbeatSeconds,
        deadLetter: QUEUE_NAMES.deadLetter,
        notify: true,
      },
    });
  });

  it("a worker's tuning changes only what it names", () => {
    const [, jobs] = queueOptions({ retryLimit: 0, expireInSeconds: undefined });
    expect(jobs.options).toMatchObject({ retryLimit: 0, expireInSeconds: QUEUE_DEFAULTS.expireInSeconds });
  });

  it('worker session names fit Postgres (63 bytes) and match the pattern the status page counts', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9.-]{1,255}$/),
        fc.integer({ min: 1, max: 4_194_304 }),
        (host, pid) => {
          const name = workerSessionName(host, pid);
          expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
          const like = new RegExp(`^${WORKER_SESSION_PATTERN.replace('%', '.*')}$`);
          expect(name).toMatch(like);
        },
      ),
    );
    expect('dynamic-image-cms').not.toMatch(new RegExp(`^${WORKER_SESSION_PATTERN.replace('%', '.*')}$`));
  });
});

describe('the preview flag', () => {
  it.each<[string, unknown, boolean]>([
    ['a preview payload', { jobId: 'p', meta: { ...PREVIEW_META } }, true],
    ['a job payload', { jobId: 'j' }, false],
    ['other meta', { meta: { preview: 'true' } }, false],
    ['meta null', { meta: null }, false],
    ['no payload', null, false],
    ['a string payload', 'meta', false],
  ])('%s → %s', (_name, data, preview) => {
    expect(isPreviewJob(data)).toBe(preview);
  });
});
