/**
 * Status codes of GraphQL request errors as the GraphQL-over-HTTP spec gives them. Apollo
 * answers a parse, validation, variable-coercion or operation-resolution failure with 400
 * whatever the response's media type. The spec says 400 only for
 * `application/graphql-response+json`; a client that gets `application/json` (older clients,
 * any wildcard Accept, no Accept) is owed 200, since to it a non-2xx status means the request
 * never reached a GraphQL server (a proxy's error page) and the `errors` in the body go unread.
 *
 * Requests that are not well-formed (no `query`, a body that is not JSON, a mutation over GET)
 * are no GraphQL request errors and keep their 4xx.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { JSON_TYPE, responseType } from '../cache/http-caching';

const REQUEST_ERROR_CODES = new Set<unknown>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  // Apollo's code for a variable that fails coercion, when no data came back.
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
]);

export function graphqlOverHttpPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          // Operations run in-process (executeOperation) have no HTTP side to correct.
          if (!request.http || response.body.kind !== 'single' || response.http.status !== 400) return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined || !errors?.length || !errors.every((e) => REQUEST_ERROR_CODES.has(e.extensions?.code))) return;
          const type = responseType(request.http.headers.get('accept'));
          // Accepting neither: Apollo answers 406.
          if (!type) return;
          // The status follows from the media type, so both are decided here: Apollo would
          // otherwise pick the type later, by its own reading of Accept.
          response.http.headers.set('content-type', type);
          if (type === JSON_TYPE) response.http.status = 200;
        },
      };
    },
  };
}
