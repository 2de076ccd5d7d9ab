/**
 * `POST /admin/cache/invalidate`: `invalidateCache` for scripts and other services, without a
 * GraphQL client. The JSON body is the mutation's arguments (`{"types": [...], "entities":
 * [{"type": "Product", "id": "42"}], "tags": [...]}`); the answer is its report. Only a bearer
 * token of an `ADMIN` session is accepted: never the session cookie, so a page a signed-in
 * admin visits cannot post here on their behalf. Errors have the GraphQL shape
 * (`{"errors": [{"message", "extensions": {"code"}}]}`): 401 without a valid token, 403 for
 * another role, 400 for a bad body, 415 for a body that is not JSON.
 */
import express, { Router, type Request, type Response } from 'express';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { ErrorCode } from '../errors';
import type { Orm } from '../db/orm';
import type { EventOutbox } from '../events/outbox';
import { invalidateCache, type InvalidationRequest } from '../modules/admin/admin.service';
import type { SessionStore } from '../session/session-store';
import { tokenFromRequest } from '../session/sessions';
import type { Logger } from './logger';

export const ADMIN_INVALIDATE_PATH = '/admin/cache/invalidate';

export interface AdminRoutesOptions {
  orm: Orm;
  outbox: EventOutbox;
  /** Where sessions live: only a bearer token's session is accepted. */
  sessions: SessionStore;
  cachedFieldsOf: (typeName: string) => readonly string[];
  logger: Logger;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function sendError(res: Response, error: RequestError): void {
  if (error.status === 401) res.set('WWW-Authenticate', 'Bearer');
  res.status(error.status).json({ errors: [{ message: error.message, extensions: { ...error.extensions, code: error.code } }] });
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The body's shape; what the values mean is checked by the service, as for the mutation. */
function requestOf(body: unknown): InvalidationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, ErrorCode.BadUserInput, 'Send a JSON object: {"types": [...], "entities": [{"type", "id"}], "tags": [...]}.');
  }
  const { types, entities, tags, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new RequestError(400, ErrorCode.BadUserInput, `Unknown field "${unknown[0]}"; the body takes "types", "entities" and "tags".`, {
      field: unknown[0],
    });
  }
  for (const [field, value] of [['types', types], ['tags', tags]] as const) {
    if (value != null && !isStringList(value)) {
      throw new RequestError(400, ErrorCode.BadUserInput, `"${field}" must be a list of strings.`, { field });
    }
  }
  const entityList = entities ?? [];
  if (
    !Array.isArray(entityList) ||
    !entityList.every(
      (entity: unknown) =>
        typeof entity === 'object' &&
        entity !== null &&
        typeof (entity as { type?: unknown }).type === 'string' &&
        ['string', 'number'].includes(typeof (entity as { id?: unknown }).id),
    )
  ) {
    throw new RequestError(400, ErrorCode.BadUserInput, '"entities" must be a list of {"type": "Product", "id": "42"}.', { field: 'entities' });
  }
  return {
    types: types as string[] | undefined,
    tags: tags as string[] | undefined,
    entities: (entityList as { type: string; id: string | number }[]).map((entity) => ({ type: entity.type, id: String(entity.id) })),
  };
}

export function adminRoutes(options: AdminRoutesOptions): Router {
  const router = Router();
  const requireJson = (req: Request, res: Response, next: () => void) => {
    if (req.is('application/json')) return next();
    sendError(res, new RequestError(415, 'BAD_REQUEST', 'Send the body as JSON, with "Content-Type: application/json".'));
  };
  router.post(ADMIN_INVALIDATE_PATH, requireJson, express.json({ limit: '1mb' }), async (req: Request, res: Response) => {
    try {
      const token = tokenFromRequest(req.headers.authorization, undefined);
      if (!token) {
        throw new RequestError(401, ErrorCode.Unauthenticated, 'Send an ADMIN session token as "Authorization: Bearer <token>" (from the `login` mutation).');
      }
      const em = options.orm.em.fork() as SqlEntityManager;
      const session = await options.sessions.resolve(em, token);
      if (!session) {
        throw new RequestError(401, ErrorCode.Unauthenticated, 'That token belongs to no live session; sign in again with `login`.');
      }
      if (session.role !== 'ADMIN') {
        throw new RequestError(403, ErrorCode.Forbidden, 'Only back-office users (role ADMIN) may invalidate the cache; sign in as one.');
      }
      const report = await invalidateCache(em, options.outbox, requestOf(req.body), {
        cachedFieldsOf: options.cachedFieldsOf,
        requestedBy: session.userId,
      });
      res.json(report);
    } catch (error) {
      if (error instanceof RequestError) return sendError(res, error);
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      if (code === ErrorCode.BadUserInput) {
        const { extensions, message } = error as { extensions: Record<string, unknown>; message: string };
        return sendError(res, new RequestError(400, ErrorCode.BadUserInput, message, extensions));
      }
      options.logger.error({ err: error }, 'cache invalidation over HTTP failed');
      sendError(res, new RequestError(500, ErrorCode.InternalServerError, 'The invalidation failed; try again.'));
    }
  });
  // A malformed JSON body, as the GraphQL endpoint answers it.
  router.use(ADMIN_INVALIDATE_PATH, (error: { type?: string }, _req: Request, res: Response, next: (error: unknown) => void) => {
    if (error.type === 'entity.parse.failed') return sendError(res, new RequestError(400, 'BAD_REQUEST', 'The request body is not valid JSON.'));
    next(error);
  });
  return router;
}
