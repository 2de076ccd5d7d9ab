import type { Resolvers } from '../../__generated__/resolvers-types';
import { requireAdmin } from '../context';

export const adminResolvers: Resolvers = {
  Mutation: {
    purgeCache: async (_parent, _args, context) => {
      requireAdmin(context);
      return (await context.purgeCache()).generation;
    },
  },
};
