/**
 * Assertions that stay on in the hot path and in the browser. An assertion that fires is a bug
 * found: it names the broken invariant, never a user error (user errors are reported by the
 * scenario loader and the CLI with a location).
 */
export class SimAssertionError extends Error {
  override name = "SimAssertionError";
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new SimAssertionError(typeof message === "function" ? message() : message);
  }
}

/** Asserts a value is a safe integer: virtual time, offsets and byte counts all are. */
export function assertSafeInt(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new SimAssertionError(`${what} must be a safe integer, got ${value}`);
  }
}

/** Exhaustiveness helper for `switch` over a discriminated union. */
export function unreachable(value: never, what = "value"): never {
  throw new SimAssertionError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
