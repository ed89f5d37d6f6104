// What a worker reports about a job or a preview (its result, progress, failure) and what pg-boss gives
// up on (a dead letter), handled the same way for both: every body is checked with core's contract, a
// result against its file, and each state change is conditional, so a late report can't revive a row
// that ended (409 Conflict.JobState) nor end it twice. Only the destination differs (destinations.ts).
import {
  type DynamicImageResult,
  decodeResultMetadata,
  type ErrorCode,
  isErrorCode,
  parseFailureBody,
  parseProgressBody,
} from '@dynamic-image/core';
import type { Core } from '@strapi/strapi';
import { checked } from '../../contract';
import type { ReceivedFile } from '../../controllers/worker-body';
import { jsonColumn } from '../../data/json';
import { endedMeanwhile, invalidParameter } from '../../errors';
import { resultByteLimit } from '../../result-limit';
import { hasEnded, type JobKind, jobStates } from '../job-states';
import { destinations, type Failure } from './destinations';

export type { JobKind } from '../job-states';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const kinds = destinations(strapi);
  const of = (kind: JobKind) => {
    const destination = kinds[kind];
    return { destination, states: jobStates(strapi, destination) };
  };

  /** Records a checked failure; only a final one ends the row. */
  async function fail({ destination, states }: ReturnType<typeof of>, id: string, failure: Failure) {
    const row = await states.running(id);
    const code: ErrorCode = isErrorCode(failure.code) ? failure.code : 'INTERNAL';
    const message = String(failure.message ?? '');
    // Conditional on the state, so that of a worker's final report and the dead-letter queue (or two CMS
    // instances) arriving together, only one ends the row and sends what follows.
    const then = await strapi.db.transaction(async () => {
      const written = await states.updateRunning(id, {
        errorCode: code,
        errorMessage: message.slice(0, 2000),
        ...(failure.final ? { state: 'failed' } : {}),
        ...destination.failureColumns(row, failure),
      });
      return failure.final && written ? destination.failed(row, code, message) : null;
    });
    await then?.();
  }

  return {
    /**
     * The most bytes a result may have: what the row's template can produce. An unknown id gets the
     * general bound, so that it is unknown is only told (404) to a caller whose signature holds.
     */
    async resultLimit(kind: JobKind, id: string): Promise<number> {
      const { destination, states } = of(kind);
      const row = await states.find(id);
      return resultByteLimit(row?.[destination.templateColumn] ?? null);
    },

    /** A worker's file (received on disk, verified against its signature) and its result header. */
    async result(kind: JobKind, id: string, received: ReceivedFile, encodedResult: string | undefined) {
      const result: DynamicImageResult = checked(decodeResultMetadata, encodedResult, 'result');
      if (result.jobId !== id) throw invalidParameter('result.jobId', 'the result belongs to another job');
      if (received.sha256 !== result.sha256 || received.size !== result.bytes) {
        throw invalidParameter('body', 'the file does not match the result (sha256 or size)');
      }
      return of(kind).destination.store(id, received, result);
    },

    /** Progress (any body: it is checked here): the row is processing, unless it ended. */
    async progress(kind: JobKind, id: string, body: unknown) {
      const progress = checked(parseProgressBody, body);
      if (progress.jobId !== id)
        throw invalidParameter('body', `the report is for job ${progress.jobId}, not ${id}`);
      const { destination, states } = of(kind);
      const row = await states.running(id);
      // Conditional: progress reports aren't awaited and may land after the result; such a late report
      // must not turn a finished row back into a processing one.
      const written = await states.updateRunning(id, {
        state: 'processing',
        progress: Math.max(0, Math.min(99, Math.round(progress.percent))),
        ...destination.progressColumns(row, progress),
      });
      if (!written) throw await states.conflict(id);
    },

    /** A failure (any body: it is checked here); only a final one ends the row. */
    async failure(kind: JobKind, id: string, body: unknown) {
      await fail(of(kind), id, checked(parseFailureBody, body));
    },

    /** A job or preview pg-boss gave up on (retries used up, worker gone): it ends failed, once. */
    async dead(kind: JobKind, id: string, output: unknown) {
      const target = of(kind);
      const row = await target.states.find(id);
      // Unknown, or already ended (its worker's final failure or its result got there first).
      if (!row || hasEnded(row)) return;
      const stored = jsonColumn<{
        error?: { code?: string; message?: string };
        // What pg-boss itself writes when it fails a job (heartbeat lost, expired).
        value?: { message?: string };
      } | null>(output);
      const lost = stored?.value?.message;
      const noun = target.destination.resource.toLowerCase();
      await fail(target, id, {
        code: stored?.error?.code ?? 'INTERNAL',
        message:
          stored?.error?.message ??
          (lost
            ? `The ${noun} ran out of retries: its last worker stopped without a result (${lost})`
            : `The ${noun} ran out of retries without a result`),
        attempt: 0,
        final: true,
      }).catch(endedMeanwhile);
    },
  };
};
