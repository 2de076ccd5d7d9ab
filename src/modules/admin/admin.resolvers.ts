import type { Resolvers } from '../../__generated__/resolvers-types';
import { requireAdmin } from '../context';
import { invalidateCache } from './admin.service';

export const adminResolvers: Resolvers = {
  Mutation: {
    purgeCache: async (_parent, _args, context) => {
      requireAdmin(context);
      return (await context.purgeCache()).generation;
    },
    invalidateCache: async (_parent, args, context) => {
      const admin = requireAdmin(context);
      return invalidateCache(context.em, context.outbox, args, { cachedFieldsOf: context.cachedFieldsOf, requestedBy: admin.userId });
    },
  },
};
