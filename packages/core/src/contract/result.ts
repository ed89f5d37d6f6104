// The result a worker hands back with the file: its metadata travels base64url-encoded JSON in the
// RESULT_HEADER of the result request, whose body is the file itself. No Buffer: core also runs in
// the admin panel's browser bundle.
import { z } from 'zod';
import type { EncoderChoice } from '../encoder.js';
import { BUDGET_LEVERS, type BudgetReport } from '../size-budget.js';
import type { DynamicImageFormat } from '../template.js';
import type { CaptureWindow } from '../window.js';
import { ContractViolation, parseContract } from './violation.js';

export const jobResultSchema = z.looseObject({
  version: z.number().int(),
  jobId: z.string(),
  format: z.enum(['gif', 'webp']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  fps: z.number().positive(),
  frameCount: z.number().int().positive(),
  duration: z.number().nonnegative(),
  bytes: z.number().int().positive(),
  /** Plays in all, 0 = forever, read from the file's container. */
  loop: z.number().int().min(0).max(65535),
  /** Playback speed and boomerang, as made; an older worker sends neither. */
  speed: z.number().positive().optional(),
  boomerang: z.boolean().optional(),
  /** `auto`: the start was chosen by the worker (template start "auto"). */
  window: z.object({
    start: z.number(),
    end: z.number(),
    duration: z.number(),
    auto: z.literal(true).optional(),
  }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  timings: z.object({
    fetchMs: z.number(),
    probeMs: z.number(),
    encodeMs: z.number(),
    verifyMs: z.number(),
    totalMs: z.number(),
  }),
  /** Which backend and settings made the file; an older worker sends none. */
  encoder: z
    .looseObject({
      backend: z.string().min(1).max(32),
      profile: z.string().max(32).optional(),
      settings: z.record(z.string(), z.union([z.string().max(64), z.number(), z.boolean()])),
      budget: z
        .object({
          maxBytes: z.number().int().positive(),
          attempts: z.number().int().positive(),
          lowered: z.array(z.enum(BUDGET_LEVERS)),
        })
        .optional(),
    })
    .optional(),
});

export interface DynamicImageResult {
  version: number;
  jobId: string;
  format: DynamicImageFormat;
  width: number;
  height: number;
  /** The rate the animation plays at (a GIF above 50 fps is encoded at 50). */
  fps: number;
  frameCount: number;
  /** Seconds the animation plays, from its frame delays. */
  duration: number;
  bytes: number;
  /** Plays in all, 0 = forever: what the file's container says (GIF and WebP count differently). */
  loop: number;
  /** Playback speed apart from sampling (1 unless the template set one). */
  speed?: number;
  /** Forward then backward. */
  boomerang?: boolean;
  window: CaptureWindow;
  sha256: string;
  timings: { fetchMs: number; probeMs: number; encodeMs: number; verifyMs: number; totalMs: number };
  /** The backend and settings that made the file (optional: workers before profiles send none). */
  encoder?: EncoderReport;
}

/**
 * What a worker reports of its encoder: the plan's choice, the profile it came from (absent for a
 * version 1 template without one), and `fallback` when the worker used another backend than planned.
 */
export interface EncoderReport {
  backend: EncoderChoice['backend'];
  profile?: string;
  settings: Record<string, string | number | boolean>;
  /** The template's size budget, when it has one: the encodes made and what was lowered to fit. */
  budget?: BudgetReport;
}

/** The result header's value: the result as base64url JSON (a header carries no raw JSON safely). */
export function encodeResultMetadata(result: DynamicImageResult): string {
  const bytes = new TextEncoder().encode(JSON.stringify(parseResult(result)));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The result from a result header's value; a missing, undecodable or rule-breaking one throws. */
export function decodeResultMetadata(header: string | undefined): DynamicImageResult {
  let json: unknown;
  try {
    if (!header || !/^[A-Za-z0-9_-]+$/.test(header)) throw new Error('not base64url');
    const binary = atob(header.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ContractViolation('result metadata', ['(header): not base64url-encoded JSON']);
  }
  return parseResult(json);
}

function parseResult(input: unknown): DynamicImageResult {
  return parseContract(jobResultSchema, input, 'result metadata') as DynamicImageResult;
}
