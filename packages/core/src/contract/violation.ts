import type { z } from 'zod';

/** Which part of the plugin–worker seam a value was checked against. */
export type ContractPart = 'job payload' | 'progress report' | 'failure report' | 'result metadata';

/** A value that breaks the seam between plugin and worker; `problems` name each field and rule. */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
  constructor(
    readonly part: ContractPart,
    readonly problems: string[],
  ) {
    super(`Invalid ${part}: ${problems.join('; ')}`);
  }
}

export function describeIssues(error: z.ZodError, whole: string): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`);
}

/** Parses with a contract schema, or throws a ContractViolation naming every problem. */
export function parseContract<T>(schema: z.ZodType<T>, input: unknown, part: ContractPart): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ContractViolation(part, describeIssues(parsed.error, '(body)'));
}
