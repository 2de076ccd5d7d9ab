/**
 * Persisted documents, two ways:
 *
 * - Automatic persisted queries (APQ, Apollo's protocol): a client sends a document's sha256
 *   alone; unknown, it answers PERSISTED_QUERY_NOT_FOUND and the client sends both once, which
 *   registers it. Registrations live in Redis (under `<prefix>:apq:`, with a TTL), so every
 *   instance knows a document any instance registered; without Redis, in this process's memory.
 * - Registered documents only (`PERSISTED_DOCUMENTS_ONLY`): the API executes nothing but the
 *   documents of a manifest built from the frontends' `.graphql` files (`npm run
 *   persisted:manifest`), sent whole or by hash alone. Anything else answers
 *   PERSISTED_DOCUMENT_NOT_REGISTERED (400) before Apollo parses it, and the front door never
 *   answers it from a stored response either (see `admits`).
 *
 * A document matches the manifest when its text hashes to an entry, or, failing that, when its
 * printed form does (what `print(parse(text))` gives: comments and layout dropped), so a client
 * sending a file's text as written matches an entry built from the same file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { parse, print } from 'graphql';
import { withTimeout } from '../cache/redis-store';
import { ErrorCode } from '../errors';
import { sendRequestError } from './http-errors';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The manifest: sha256 (hex) of each document's text -> the document. */
export type Manifest = ReadonlyMap<string, string>;

/**
 * Reads a manifest: a JSON object `{ "<sha256>": "<document>" }`, as `npm run
 * persisted:manifest` writes, or Apollo's persisted query manifest (`{ "format":
 * "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`). Every entry's hash is
 * checked: a manifest that does not hash right fails the start.
 */
export function loadManifest(path: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`PERSISTED_DOCUMENTS_MANIFEST "${path}" cannot be read as JSON (${(error as Error).message}); build it with npm run persisted:manifest.`);
  }
  const entries: [string, unknown][] =
    raw && typeof raw === 'object' && (raw as { format?: unknown }).format === 'apollo-persisted-query-manifest'
      ? ((raw as { operations?: { id: string; body: unknown }[] }).operations ?? []).map((op) => [op.id, op.body])
      : Object.entries(raw as object);
  const manifest = new Map<string, string>();
  for (const [hash, document] of entries) {
    if (typeof document !== 'string' || sha256(document) !== hash) {
      throw new Error(`PERSISTED_DOCUMENTS_MANIFEST "${path}": the entry "${hash}" is not the sha256 of its document; rebuild the manifest.`);
    }
    manifest.set(hash, document);
  }
  return manifest;
}

/** The printed form of a document, or undefined when it does not parse. */
function printed(text: string): string | undefined {
  try {
    return print(parse(text, { noLocation: true }));
  } catch {
    return undefined;
  }
}

interface RequestShape {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } | unknown;
}

function hashOf(body: RequestShape): string | undefined {
  const persisted = (body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/** Whether a request body (or GET parameters) names a registered document. */
export function isRegistered(manifest: Manifest, body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const { query } = body as RequestShape;
  if (typeof query === 'string' && query !== '') {
    if (manifest.has(sha256(query))) return true;
    const canonical = printed(query);
    return canonical !== undefined && manifest.has(sha256(canonical));
  }
  const hash = hashOf(body as RequestShape);
  return hash !== undefined && manifest.has(hash);
}

export const NOT_REGISTERED_MESSAGE =
  'This API runs only registered documents, and this one is not registered. Send a document your app was built with (its sha256 in extensions.persistedQuery), or add it to the manifest (npm run persisted:manifest).';

/** The parameters of a GET request as a body: `query`, and `extensions` parsed from JSON. */
function getParameters(req: IncomingMessage & { query?: unknown }): RequestShape {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  let extensions: unknown;
  try {
    extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
  } catch {
    extensions = undefined;
  }
  return { query: params.get('query') ?? undefined, extensions };
}

/** Express middleware: refuses, before Apollo, every request whose document is not in the manifest. */
export function registeredDocumentsOnly(manifest: Manifest, onRefused?: () => void): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next();
    const body = req.method === 'GET' ? getParameters(req) : (req.body as unknown);
    // A batch (an array) is refused by Apollo anyway; let it say so.
    if (Array.isArray(body)) return next();
    if (isRegistered(manifest, body)) return next();
    onRefused?.();
    sendRequestError(res, 400, NOT_REGISTERED_MESSAGE, ErrorCode.PersistedDocumentNotRegistered);
  };
}

export interface PersistedQueryCacheOptions {
  /** Absent: this process's memory (a single instance). */
  redis?: Redis;
  /** Keys are `<keyPrefix>:apq:<sha256>`. */
  keyPrefix: string;
  ttlSeconds: number;
  /** Default 250. A slower Redis read counts as not registered (the client sends the document again). */
  timeoutMs?: number;
  /** Registered-only mode: the manifest's documents are found by hash, always. */
  manifest?: Manifest;
  /** Told about Redis calls that failed. */
  onError?: (error: unknown) => void;
}

/**
 * Apollo's `KeyValueCache` for APQ registrations. Apollo asks for `apq:<sha256>`; a failed
 * or slow Redis is a miss (the client then sends the whole document), never an error.
 */
export class PersistedQueryCache {
  private readonly memory?: LRUCache<string, string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: PersistedQueryCacheOptions) {
    this.timeoutMs = options.timeoutMs ?? 250;
    if (!options.redis) this.memory = new LRUCache({ max: 10_000, ttl: options.ttlSeconds * 1000 });
  }

  private key(key: string): string {
    return `${this.options.keyPrefix}:apq:${key.slice(key.lastIndexOf(':') + 1)}`;
  }

  async get(key: string): Promise<string | undefined> {
    const listed = this.options.manifest?.get(key.slice(key.lastIndexOf(':') + 1));
    if (listed !== undefined) return listed;
    if (this.memory) return this.memory.get(key);
    try {
      return (await this.timed(this.options.redis!.get(this.key(key)))) ?? undefined;
    } catch (error) {
      this.options.onError?.(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttlSeconds = options?.ttl ?? this.options.ttlSeconds;
    if (this.memory) {
      this.memory.set(key, value, { ttl: ttlSeconds * 1000 });
      return;
    }
    try {
      await this.timed(this.options.redis!.set(this.key(key), value, 'EX', ttlSeconds));
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  async delete(key: string): Promise<boolean | void> {
    if (this.memory) return void this.memory.delete(key);
    await this.options.redis!.del(this.key(key)).catch((error: unknown) => this.options.onError?.(error));
  }

  private timed<T>(call: Promise<T>): Promise<T> {
    return withTimeout(call, this.timeoutMs, 'persisted query read');
  }
}
