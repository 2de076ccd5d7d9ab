/**
 * A subscription sent over HTTP is answered 400 `BAD_REQUEST` naming the WebSocket, the way a
 * mutation over GET is refused: executing it would run the subscription fields with no event.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

export function refuseHttpSubscriptions<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(
            'Subscriptions are served over WebSocket (graphql-transport-ws) at this same URL, ws:// or wss://; not over HTTP.',
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        },
      };
    },
  };
}
