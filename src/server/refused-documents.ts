/**
 * Remembers documents a query limit refused for what they are (depth, aliases, directives,
 * tokens: the same text is always refused, whatever its variables), so the same bomb sent again
 * is refused for the price of a hash instead of a parse and a validation (an alias bomb's cost
 * about 1.7 ms each on the development machine; its refusal from here, microseconds). Apollo
 * keeps only documents that validated; this is the other half. The cost limit depends on the
 * variables, so its refusals are not remembered.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import { JSON_TYPE, responseType } from '../cache/http-caching';
import { ErrorCode } from '../errors';
import { sha256 } from './persisted-documents';

const INTRINSIC = new Set(['depth', 'aliases', 'directives', 'tokens']);

export interface RefusedDocumentsOptions {
  /** Default 1000. Documents remembered (least recently refused go first). */
  max?: number;
  /** Told about each refusal answered from memory, with the limit. */
  onRefused?: (limit: string) => void;
}

export function createRefusedDocuments(options: RefusedDocumentsOptions = {}) {
  // The answer as Apollo gave it, and the limit that refused it.
  const refused = new LRUCache<string, { body: string; limit: string }>({ max: options.max ?? 1000 });

  const middleware: RequestHandler = (req, res, next) => {
    const query = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query.query;
    if (typeof query !== 'string' || refused.size === 0) return next();
    const known = refused.get(sha256(query));
    if (!known) return next();
    options.onRefused?.(known.limit);
    // The media type Apollo would pick from Accept (400 either way: no GraphQL-over-HTTP 200 here).
    res.status(400).type(responseType(req.headers.accept) ?? JSON_TYPE).send(known.body);
  };

  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async willSendResponse({ queryHash, response }) {
          if (!queryHash || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined || !errors?.length) return;
          const limits = errors.map((error) => (error.extensions?.code === ErrorCode.QueryTooComplex ? String(error.extensions.limit) : ''));
          if (!limits.every((limit) => INTRINSIC.has(limit))) return;
          refused.set(queryHash, { body: JSON.stringify({ errors }), limit: limits[0]! });
        },
      };
    },
  };

  return { middleware, plugin };
}
