import type { ApolloServerPlugin } from '@apollo/server';
import { currentRequestScope, type RequestScope } from '../cache/request-scope';
import type { InvalidationOutcome } from '../events/outbox';

/** How the invalidations of each request's writes went, by request. */
const invalidations = new WeakMap<RequestScope, InvalidationOutcome[]>();

/** Records how the invalidation of a write made by the current request went (for `extensions.cache`). */
export function reportInvalidation(outcome: InvalidationOutcome): void {
  const scope = currentRequestScope();
  if (!scope) return;
  const outcomes = invalidations.get(scope) ?? [];
  outcomes.push(outcome);
  invalidations.set(scope, outcomes);
}

/** One verdict for the request: deferred if any write's was, with the counts of the worst. */
function summarize(outcomes: readonly InvalidationOutcome[]): InvalidationOutcome {
  return outcomes.reduce((worst, outcome) => {
    if ((outcome.status === 'deferred') !== (worst.status === 'deferred')) return outcome.status === 'deferred' ? outcome : worst;
    return outcome.acknowledged - outcome.receivers < worst.acknowledged - worst.receivers ? outcome : worst;
  });
}

/**
 * Development aid: puts the request's cache summary (hits, misses, stale serves, SQL
 * statements, Redis round trips) in `extensions.cache`, where Sandbox shows it. A request that
 * wrote also gets `invalidation`: `acknowledged` (every instance dropped what it changed before
 * the answer) or `deferred` (the outbox relay will publish it), with the receivers and
 * acknowledgements counted.
 */
export function requestStatsPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const scope = currentRequestScope();
          const stats = scope?.stats;
          if (!stats || response.body.kind !== 'single') return;
          const outcomes = invalidations.get(scope);
          const cache = outcomes ? { ...stats, invalidation: summarize(outcomes) } : { ...stats };
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cache };
        },
      };
    },
  };
}
