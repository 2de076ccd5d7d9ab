/**
 * Everything that protects the API from abusive or malformed traffic, built from the config in
 * one place so the composition root only plugs it in: rate limits (and the sign-in throttle),
 * query limits, persisted queries and registered-only documents, the audit log, CSRF
 * prevention, introspection and the landing page. README "Security" lists what each does.
 */
import type { RequestListener } from 'node:http';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { RequestHandler } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from '../config';
import { QueryTooComplexError } from '../errors';
import type { RecordedWrite } from '../events/outbox';
import type { Context } from '../modules/context';
import type { LoginThrottle } from '../session/login-throttle';
import { closeRedis, createCacheClient } from '../redis/clients';
import { auditPlugin, auditWrite, createAuditLog } from './audit';
import { isRegistered, loadManifest, PersistedQueryCache, registeredDocumentsOnly } from './persisted-documents';
import { createQueryLimits, relabelQueryLimitErrors } from './query-limits';
import { createRateLimiting } from './rate-limiting';
import { createRefusedDocuments } from './refused-documents';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

type ApolloSecurityOptions = Pick<
  ApolloServerOptions<Context>,
  'csrfPrevention' | 'allowBatchedHttpRequests' | 'introspection' | 'persistedQueries' | 'parseOptions' | 'validationRules'
>;

export interface Security {
  /** Spread into `new ApolloServer({...})`. */
  apollo: ApolloSecurityOptions;
  /** Added to Apollo's plugins: landing page, query limits, per-user limit, audit. */
  plugins: ApolloServerPlugin<Context>[];
  /** Wraps the whole HTTP listener (front door included): the per-address limit. */
  gate(path: string, next: RequestListener): RequestListener;
  /** Express middleware on the GraphQL path, after the body parser, before any answer. */
  middleware: RequestHandler[];
  /** Whether the front door may answer this body from a stored response. */
  frontDoorAdmits?: (body: unknown) => boolean;
  /** For the context factory. */
  context: { loginThrottle?: LoginThrottle; trustProxyHops: number };
  /** Told about every write a request's mutation published (the audit's entities). */
  onWrite(write: RecordedWrite): void;
  /** Wraps the error formatter: query limits keep their code. */
  formatError(format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  close(): Promise<void>;
}

export function createSecurity(options: { config: Config; metrics: Metrics; logger: Logger }): Security {
  const { config, metrics, logger } = options;
  const security = config.security;
  const production = config.nodeEnv === 'production';
  // First: a bad manifest fails the start before any connection is opened.
  const manifest = security.persistedDocumentsOnly ? loadManifest(security.persistedDocumentsManifest) : undefined;
  // Its own connection: the limits work with the cache off, and never wait behind cache traffic.
  const redis = config.redisUrl
    ? createCacheClient({
        url: config.redisUrl,
        commandTimeoutMs: Math.max(config.redisCommandTimeoutMs * 10, 2000),
        connectionName: 'storefront:security',
        tlsCa: config.redisTlsCa,
        // Failures are counted and logged where the calls are made.
        onError: () => undefined,
      })
    : undefined;
  const keyPrefix = config.cacheKeyPrefix;

  const rateLimiting = security.rateLimits.enabled
    ? createRateLimiting({
        limits: security.rateLimits,
        redis,
        keyPrefix,
        timeoutMs: config.redisCommandTimeoutMs,
        trustProxyHops: config.trustProxyHops,
        metrics,
        logger,
      })
    : undefined;
  const queryLimits = createQueryLimits(security.queryLimits, { production });
  if (manifest) logger.info({ manifest: security.persistedDocumentsManifest, documents: manifest.size }, 'registered documents only: the manifest\'s documents are all this API runs');
  const refusedDocuments = createRefusedDocuments({ onRefused: (limit) => metrics.queryRefused(limit) });
  const audit = createAuditLog(security.auditLog);
  const refusalCounter: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const refusal = error instanceof QueryTooComplexError ? error : error.originalError;
            if (refusal instanceof QueryTooComplexError) metrics.queryRefused(String(refusal.extensions.limit));
          }
        },
      };
    },
  };

  return {
    apollo: {
      // Apollo's defaults, stated: a browser's simple GET or form POST cannot run an operation
      // (it needs a JSON content type or a preflight header), and a batch is refused (one
      // request, one operation, one rate-limit point).
      csrfPrevention: true,
      allowBatchedHttpRequests: false,
      introspection: security.introspection,
      persistedQueries: {
        cache: new PersistedQueryCache({
          redis,
          keyPrefix,
          ttlSeconds: security.persistedQueriesTtlSeconds,
          timeoutMs: config.redisCommandTimeoutMs,
          manifest,
          onError: (err) => logger.warn({ err }, 'persisted queries: a Redis call failed; treated as not registered'),
        }),
        ttl: security.persistedQueriesTtlSeconds,
      },
      parseOptions: queryLimits.parseOptions,
      validationRules: queryLimits.validationRules,
    },
    plugins: [
      security.sandbox ? ApolloServerPluginLandingPageLocalDefault({ footer: false, embed: true }) : ApolloServerPluginLandingPageDisabled(),
      ...(queryLimits.plugins as ApolloServerPlugin<Context>[]),
      refusalCounter,
      refusedDocuments.plugin as ApolloServerPlugin<Context>,
      ...(rateLimiting ? [rateLimiting.perUserPlugin] : []),
      ...(audit ? [auditPlugin(audit)] : []),
    ],
    gate: (path, next) => (rateLimiting ? rateLimiting.gate(path, next) : next),
    middleware: [
      ...(manifest ? [registeredDocumentsOnly(manifest, () => metrics.queryRefused('not_registered'))] : []),
      refusedDocuments.middleware,
    ],
    frontDoorAdmits: manifest ? (body) => isRegistered(manifest, body) : undefined,
    context: { loginThrottle: rateLimiting?.loginThrottle, trustProxyHops: config.trustProxyHops },
    onWrite: (write) => {
      if (audit) auditWrite(write);
    },
    formatError: (format) => {
      const relabel = relabelQueryLimitErrors(security.queryLimits.tokens);
      return (formatted, error) => format(relabel(formatted, error), error);
    },
    async close() {
      audit?.flush();
      if (redis) await closeRedis(redis);
    },
  };
}
