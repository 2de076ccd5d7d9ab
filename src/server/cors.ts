/**
 * CORS for the GraphQL endpoint. Only browsers send `Origin`, and only their requests need the
 * CORS headers; servers, mobile apps and load balancers' probes make up much of an API's
 * traffic and would pay the `cors` package's per-request work (about 5 % of a cached hit) for
 * headers nobody reads. Every answer still varies by Origin, so a shared cache never hands a
 * response made for one origin (or none) to another.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';
import { REQUEST_ID_HEADER } from './request-id';

export function browserCors(allowedOrigins: readonly string[]): RequestHandler {
  // A frontend's error reporting can then quote the request id our logs know the request by.
  const forBrowsers = cors({ origin: [...allowedOrigins], credentials: true, exposedHeaders: [REQUEST_ID_HEADER] });
  return (req, res, next) => {
    if (req.headers.origin === undefined) {
      res.vary('Origin');
      next();
      return;
    }
    forBrowsers(req, res, next);
  };
}
