/**
 * The closed vocabulary of errors a client can see. Every error that leaves the API carries one
 * of these codes in `extensions.code`; anything else is masked by `formatError`.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  RateLimited = 'RATE_LIMITED',
  /** A live subscription's resume point (`after`) is older than the events kept: refetch. */
  EventsExpired = 'EVENTS_EXPIRED',
  /** A socket holds as many subscriptions as it may (`SUBSCRIPTIONS_PER_SOCKET_MAX`). */
  SubscriptionLimit = 'SUBSCRIPTION_LIMIT',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
}

/** Codes Apollo Server itself emits for requests that never reach execution; passed through. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Codes whose message is meant for the client. INTERNAL_SERVER_ERROR is not among them: Apollo
 * stamps it on every unexpected error, whose message may hold SQL or other internals.
 */
const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError),
  ...APOLLO_REQUEST_CODES,
]);

abstract class AppError extends GraphQLError {
  protected constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends AppError {
  /** `field` names the argument or input field at fault, so a form can highlight it. */
  constructor(message: string, extensions: { field?: string; [key: string]: unknown } = {}) {
    super(message, ErrorCode.BadUserInput, extensions);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Sign in first: send the token from `login` as `Authorization: Bearer <token>`.') {
    super(message, ErrorCode.Unauthenticated);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, ErrorCode.Forbidden);
  }
}

export class EventsExpiredError extends AppError {
  constructor(afterId: string) {
    super(
      `Events after "${afterId}" are no longer kept. Refetch the data with a query, then subscribe again without "after".`,
      ErrorCode.EventsExpired,
      { after: afterId },
    );
  }
}

export class SubscriptionLimitError extends AppError {
  constructor(max: number) {
    super(`This socket holds ${max} subscriptions, the most allowed; complete one first, or open another socket.`, ErrorCode.SubscriptionLimit, { max });
  }
}

export class NotFoundError extends AppError {
  constructor(type: string, id: string) {
    super(`No ${type} has the id "${id}".`, ErrorCode.NotFound, { type, id });
  }
}

export interface FormatErrorOptions {
  /** Default false. When true, unknown errors keep their message (development only). */
  exposeInternals?: boolean;
  /** The id of the request being answered (see server/request-id), if any. */
  requestId?: () => string | undefined;
  /** Called with every error that gets masked (and the request's id), so it reaches the logs. */
  onInternalError?: (error: unknown, requestId: string | undefined) => void;
}

/**
 * The one place errors are shaped for clients. Known codes pass; anything else (a driver error,
 * a bug) becomes INTERNAL_SERVER_ERROR with a generic message. Never throws.
 */
export function createFormatError(options: FormatErrorOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      // Stack traces are development aids only.
      if (options.exposeInternals) return formatted;
      const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const requestId = options.requestId?.();
    options.onInternalError?.(unwrapResolverError(error), requestId);
    const ids = requestId === undefined ? {} : { requestId };
    if (options.exposeInternals) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.InternalServerError, ...ids } };
    }
    return {
      message:
        requestId === undefined
          ? 'Something went wrong on our side. Try again; if it persists, tell us when it happened.'
          : `Something went wrong on our side. Try again; if it persists, report request id ${requestId}.`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.InternalServerError, ...ids },
    };
  };
}
