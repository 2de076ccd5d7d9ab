import type { ApolloServerPlugin } from '@apollo/server';
import { currentRequestScope } from '../cache/request-scope';
import { CACHE_DEBUG_HEADER } from '../cache/response-cache';

/**
 * Puts the cache debugger's records in `extensions.cacheDebug` for requests that sent
 * `x-cache-debug: 1` (see cache/cache-debug.ts). Listed after the response tier's plugin, so
 * the whole response's own fill is in the record. A request that may not have it is told why.
 */
export function cacheDebugPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ request }) {
      if (request.http?.headers.get(CACHE_DEBUG_HEADER) !== '1') return {};
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const debug = currentRequestScope()?.debug;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            cacheDebug: debug
              ? debug.toJSON()
              : { refused: `${CACHE_DEBUG_HEADER} is answered in production only for a signed-in ADMIN; sign in as one, or run outside production.` },
          };
        },
      };
    },
  };
}
