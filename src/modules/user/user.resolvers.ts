import { GraphQLError } from 'graphql';
import type { Resolvers } from '../../__generated__/resolvers-types';
import { ForbiddenError } from '../../errors';
import { decodeCursor, newestKey, pageSize, toConnection } from '../common/connection';
import { requireViewer, type Context } from '../context';
import { User } from './user.entity';
import { changePassword, checkCredentials, logout, logoutEverywhere } from './auth.service';

function codeOf(error: unknown): string {
  return error instanceof GraphQLError ? String(error.extensions.code) : 'INTERNAL_SERVER_ERROR';
}

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
      let user: User;
      try {
        await throttle?.check(email, address);
        user = await checkCredentials(context.em, email, password);
      } catch (error) {
        const code = codeOf(error);
        if (code === 'UNAUTHENTICATED') await throttle?.failed(email, address);
        context.auditNotes?.push({ event: 'sign-in-failed', email, code });
        throw error;
      }
      await throttle?.succeeded(email);
      // The session the request came with (if any) ends, announced like a sign-out, so its
      // private subscriptions end too: a sign-in never continues a session it did not start.
      const previous = context.transport?.token;
      if (previous && context.viewer) await logout(context.em, context.outbox, context.sessions, context.viewer.userId, previous);
      const session = context.transport ? await context.transport.signIn(user) : await context.sessions.start(context.em, user);
      context.auditNotes?.push({ event: 'sign-in', userId: user.id });
      return { user, token: session.token, expiresAt: session.expiresAt };
    },
    logout: async (_parent, _args, context) => {
      const token = context.transport?.token;
      if (token && context.viewer) await logout(context.em, context.outbox, context.sessions, context.viewer.userId, token);
      context.auditNotes?.push({ event: 'sign-out', userId: context.viewer?.userId ?? null });
      await context.transport?.signOut();
      return true;
    },
    logoutEverywhere: async (_parent, _args, context) => {
      const viewer = requireViewer(context);
      const sessionsEnded = await logoutEverywhere(context.em, context.outbox, context.sessions, viewer.userId);
      context.auditNotes?.push({ event: 'sign-out-everywhere', userId: viewer.userId, sessionsEnded });
      await context.transport?.signOut();
      return sessionsEnded;
    },
    changePassword: async (_parent, { currentPassword, newPassword }, context) => {
      const viewer = requireViewer(context);
      const user = await context.em.findOneOrFail(User, viewer.userId, { populate: ['passwordHash'] });
      const throttle = context.loginThrottle;
      const address = context.transport?.address;
      try {
        // Guessing the current password here is guessing it at sign-in: the same limits.
        await throttle?.check(user.email, address);
        const sessionsEnded = await changePassword(context.em, context.outbox, context.sessions, user, {
          currentPassword,
          newPassword,
          keepToken: context.transport?.token ?? null,
        });
        context.auditNotes?.push({ event: 'password-changed', userId: viewer.userId, sessionsEnded });
        return sessionsEnded;
      } catch (error) {
        const code = codeOf(error);
        if (error instanceof GraphQLError && error.extensions.field === 'currentPassword') await throttle?.failed(user.email, address);
        context.auditNotes?.push({ event: 'password-change-failed', userId: viewer.userId, code });
        throw error;
      }
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
