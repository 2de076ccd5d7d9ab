import { GraphQLError } from 'graphql';
import type { Resolvers } from '../../__generated__/resolvers-types';
import { ForbiddenError } from '../../errors';
import { decodeCursor, newestKey, pageSize, toConnection } from '../common/connection';
import type { Context } from '../context';
import type { User } from './user.entity';
import { login, logout } from './auth.service';

/** Email and orders are the user's own business: anyone else asking gets FORBIDDEN. */
function requireSelf(user: User, context: Context, field: string): void {
  if (context.viewer?.userId !== user.id) {
    throw new ForbiddenError(`Only the user themself may read "${field}"; sign in as that user to see it.`);
  }
}

export const userResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, context) => (context.viewer ? context.loaders.user.load(context.viewer.userId) : null),
  },
  Mutation: {
    login: async (_parent, { email, password }, context) => {
      const throttle = context.loginThrottle;
      const address = context.transport?.address;
      let signedIn: Awaited<ReturnType<typeof login>>;
      try {
        await throttle?.check(email, address);
        signedIn = await login(context.em, email, password, context.sessionTtlSeconds);
      } catch (error) {
        const code = error instanceof GraphQLError ? String(error.extensions.code) : 'INTERNAL_SERVER_ERROR';
        if (code === 'UNAUTHENTICATED') await throttle?.failed(email, address);
        context.auditNotes?.push({ event: 'sign-in-failed', email, code });
        throw error;
      }
      const { user, session } = signedIn;
      await throttle?.succeeded(email);
      context.auditNotes?.push({ event: 'sign-in', userId: user.id });
      context.transport?.setSessionCookie(session.token, session.expiresAt);
      return { user, token: session.token, expiresAt: session.expiresAt };
    },
    logout: async (_parent, _args, context) => {
      const token = context.transport?.token;
      if (token) await logout(context.em, context.outbox, token);
      context.auditNotes?.push({ event: 'sign-out', userId: context.viewer?.userId ?? null });
      context.transport?.clearSessionCookie();
      return true;
    },
  },
  User: {
    email: (user, _args, context) => {
      requireSelf(user, context, 'email');
      return user.email;
    },
    orders: async (user, args, context) => {
      requireSelf(user, context, 'orders');
      const first = pageSize(args.first, 10);
      const after = decodeCursor(args.after, 'after', 'timestamp');
      const page = await context.loaders.orderPage.load({ parentId: user.id, first, after });
      const orders = await context.loaders.adopt(context.loaders.order, page.rows);
      return toConnection(orders, { hasNextPage: page.hasNextPage, after }, newestKey);
    },
  },
};
