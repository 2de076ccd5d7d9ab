/**
 * The first thing a request meets, before Express: an anonymous POST of a small JSON body whose
 * answer is stored (in L1, or in Redis) is answered here with the stored bytes. Express's
 * router, body parser and content-type checks cost about a fifth of a cached hit's time, and
 * none of them changes such an answer. Everything else, and every miss, goes on to Express with
 * its body already parsed (the JSON body parser then has nothing left to read and lets it
 * through).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { JSON_TYPE } from '../cache/http-caching';
import { INVALID_JSON_MESSAGE, requestErrorBody } from './http-errors';
import { newRequestScope, withRequestScope } from '../cache/request-scope';
import { assignRequestId, REQUEST_ID_HEADER } from './request-id';

const PLAIN_JSON = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;

export interface FrontDoorOptions {
  /** Where GraphQL is served, e.g. `/graphql`. */
  path: string;
  /** What handles everything this does not answer (the Express app). */
  next: RequestListener;
  /** The stored answer for a request and its parsed body, if L1 holds one (see response-cache). */
  storedInL1: (req: IncomingMessage, body: unknown) => string | undefined;
  /** The same from Redis; on a miss it leaves its lookup for the Express path. */
  storedInRedis: (req: IncomingMessage, body: unknown) => Promise<string | undefined>;
  /** Default 64 KiB. Larger bodies are left to Express and its own limit, unread. */
  maxBodyBytes?: number;
  /**
   * Default: every body. False leaves the request to Express, whatever is stored for it: a
   * document that registered-only mode refuses is never answered here, even if an answer to it
   * was stored before the mode was turned on.
   */
  admits?: (body: unknown) => boolean;
}

export function frontDoor(options: FrontDoorOptions): RequestListener {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const { next } = options;
  return (req, res) => {
    const length = Number(req.headers['content-length']);
    if (
      req.method !== 'POST' ||
      req.url !== options.path ||
      // Browsers' requests take the CORS path, which must answer with its own headers.
      req.headers.origin !== undefined ||
      // What Express's JSON parser would read as plain UTF-8 JSON, and nothing it would
      // inflate or decode first.
      !PLAIN_JSON.test(req.headers['content-type'] ?? '') ||
      (req.headers['content-encoding'] ?? 'identity') !== 'identity' ||
      !(length > 0 && length <= maxBodyBytes)
    ) {
      next(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        answer(req, res, 400, requestErrorBody(INVALID_JSON_MESSAGE));
        return;
      }
      (req as IncomingMessage & { body?: unknown }).body = body;
      if (options.admits && !options.admits(body)) {
        next(req, res);
        return;
      }
      const inL1 = options.storedInL1(req, body);
      if (inL1 !== undefined) {
        answer(req, res, 200, inL1);
        return;
      }
      // From here the request is counted as it always was (its Redis round trips, hits and
      // misses reach extensions.cache): the scope Express's path would open opens here.
      withRequestScope(newRequestScope(assignRequestId(req, res)), () => {
        options.storedInRedis(req, body).then(
          (stored) => (stored === undefined ? next(req, res) : answer(req, res, 200, stored)),
          () => next(req, res),
        );
      });
    });
  };
}

/** What Express's path would say in the same case: the request id, and that CORS varies. */
function answer(req: IncomingMessage, res: ServerResponse, status: number, json: string): void {
  if (!res.hasHeader(REQUEST_ID_HEADER)) assignRequestId(req, res);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json), vary: 'Origin' });
  res.end(json);
}
