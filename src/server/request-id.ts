/**
 * Every GraphQL request has an id: sent back in `X-Request-Id`, put on masked internal errors
 * and on their log line, so a client's report leads straight to the logs. An id a proxy or
 * the client already gave (a sane `X-Request-Id`) is kept, so one id follows the request
 * through the whole stack; anything else is replaced rather than written into logs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

const SAFE_ID = /^[\w.:-]{1,128}$/;

/** The request's id (the one given, if safe to log, else a new UUID), also set on the response. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
