// Octokit's RequestError -> the forge's typed errors, by what the controller does next, with every credential
// scrubbed from the message. The original error is not attached: its request options hold headers and bodies.
import {
  ConflictError,
  ForbiddenError,
  ForgeError,
  ForgeUnavailableError,
  NotFoundError,
  UnprocessableError,
} from '../forge.js';
import type { RateLimitGate } from './rate-limit.js';
import { redact } from './redact.js';

export interface MappingContext {
  operation: string;
  secrets: readonly string[];
  gate: RateLimitGate;
  now: number;
  /** How long after an outage (5xx, network) to try again. */
  unavailableRetryMs: number;
}

interface RequestErrorLike {
  status: number;
  message: string;
  cause?: unknown;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    (error.name === 'HttpError' || 'request' in error)
  );
}

export function toForgeError(error: unknown, c: MappingContext): Error {
  if (error instanceof ForgeError) return scrub(error, c.secrets);
  if (!isRequestError(error)) {
    // A bug, not a forge answer: let it through, but never with a credential in it.
    if (error instanceof Error) error.message = redact(error.message, c.secrets);
    return error instanceof Error ? error : new Error(redact(String(error), c.secrets));
  }
  // The transport refused the call itself (a rate limit in force); octokit wrapped that in a RequestError.
  if (error.cause instanceof ForgeError) return scrub(error.cause, c.secrets);

  const status = error.status;
  const detail = redact(githubMessage(error), c.secrets);
  const message = `${c.operation} -> ${status}: ${detail}`;

  if (status === 403 || status === 429) {
    const block = c.gate.blocked();
    if (block) {
      return new ForgeUnavailableError(
        c.operation,
        `${message} (no call before ${new Date(block.until).toISOString()})`,
        new Date(block.until),
        block.reason,
        status,
      );
    }
  }
  if (status === 0 || status >= 500) {
    return new ForgeUnavailableError(
      c.operation,
      `${message} (GitHub unavailable; retried and gave up)`,
      new Date(c.now + c.unavailableRetryMs),
      'unavailable',
      status,
    );
  }
  switch (status) {
    case 404:
    case 410:
      return new NotFoundError(c.operation, message, status);
    case 409:
      return new ConflictError(c.operation, message, status);
    case 405:
    case 422:
      return new UnprocessableError(c.operation, message, status);
    case 401:
    case 403:
      return new ForbiddenError(c.operation, message, status);
    default:
      return new ForgeError(c.operation, message, status);
  }
}

/** GitHub's own words: `message`, and the validation errors of a 422. */
function githubMessage(error: RequestErrorLike): string {
  const data = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
  if (data && typeof data.message === 'string') {
    const details = Array.isArray(data.errors)
      ? data.errors
          .map((e) =>
            typeof e === 'string'
              ? e
              : typeof e?.message === 'string'
                ? e.message
                : [e?.field, e?.code].filter(Boolean).join(' '),
          )
          .filter((s) => s !== '')
      : [];
    return details.length > 0 ? `${data.message} (${details.join('; ')})` : data.message;
  }
  return error.message;
}

function scrub<E extends Error>(error: E, secrets: readonly string[]): E {
  error.message = redact(error.message, secrets);
  return error;
}
