// Every body and header a worker sends is checked with core's contract here, before anything is
// written: a body that breaks it is a coded 400 and leaves the job as it was.
import { ContractViolation } from '@dynamic-image/core';
import { invalidParameter } from './errors';

/** `field` names the refused part in the error code: `body` → InvalidParameter.Body. */
export function checked<I, T>(parse: (input: I) => T, input: I, field = 'body'): T {
  try {
    return parse(input);
  } catch (err) {
    if (err instanceof ContractViolation)
      throw invalidParameter(field, err.message, { problems: err.problems });
    throw err;
  }
}
