import type { ApolloServerPlugin } from '@apollo/server';
import { currentRequestScope } from '../cache/request-scope';

/**
 * Development aid: puts the request's cache summary (hits, misses, stale serves, SQL
 * statements, Redis round trips) in `extensions.cache`, where Sandbox shows it.
 */
export function requestStatsPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const stats = currentRequestScope()?.stats;
          if (!stats || response.body.kind !== 'single') return;
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cache: { ...stats } };
        },
      };
    },
  };
}
