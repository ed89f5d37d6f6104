import { vi } from 'vitest';

export interface WaitOptions {
  /** How long to keep polling, in ms (a bound on the wait, not a delay: it returns as soon as it holds). */
  timeout?: number;
  interval?: number;
  /** More to show when the time is up, such as the CMS's log. */
  detail?: () => string;
}

/**
 * Polls `probe` until it returns something truthy and returns that, or fails naming `what`. The suite's one
 * polling loop (vitest's `vi.waitFor`), so every wait has the same bound and failure message.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeout = 90_000, interval = 250, detail }: WaitOptions = {},
): Promise<T> {
  try {
    return await vi.waitFor(
      async () => {
        const value = await probe();
        if (!value) throw new Error(`still waiting for ${what}`);
        return value;
      },
      { timeout, interval },
    );
  } catch (error) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`, {
      cause: error,
    });
  }
}
