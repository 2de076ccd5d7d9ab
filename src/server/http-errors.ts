/**
 * Requests that fail before GraphQL runs (not JSON, wrong content type) still get the GraphQL
 * over HTTP error shape: `{ "errors": [{ "message", "extensions": { "code" } }] }`.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** The body of a request error, in the GraphQL over HTTP error shape. */
export function requestErrorBody(message: string, code = 'BAD_REQUEST', extensions: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
}

export function sendRequestError(res: Response, status: number, message: string, code?: string): void {
  res.status(status).type('application/json').send(requestErrorBody(message, code));
}

export const INVALID_JSON_MESSAGE = 'The request body is not valid JSON. Send {"query": "...", "variables": {...}}.';

const JSON_TYPES = ['application/json', 'application/graphql-response+json'];

/** POST bodies must be JSON; GET carries the operation in the query string. */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && !JSON_TYPES.some((type) => req.is(type))) {
    sendRequestError(res, 415, 'Send GraphQL requests as POST with "Content-Type: application/json", or as GET.');
    return;
  }
  next();
};

export const bodyParseErrorHandler: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, next) => {
  if (error.type === 'entity.parse.failed') {
    sendRequestError(res, 400, INVALID_JSON_MESSAGE);
    return;
  }
  if (error.type === 'entity.too.large') {
    // Closing spares reading the rest of the body, which Node would otherwise do to keep the
    // connection open: a flood of oversized bodies then costs their upload, not ours.
    res.set('connection', 'close');
    sendRequestError(res, 413, 'The request body is too large.');
    return;
  }
  next(error);
};
