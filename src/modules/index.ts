/**
 * The storefront's schema: SDL from `schema/`, resolvers from each feature slice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mergeResolvers } from '@graphql-tools/merge';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import { readPolicyMap, withPolicyDescriptions, type PolicyMapOptions } from '../cache/policy';
import { adminResolvers } from './admin/admin.resolvers';
import { CategorySchema } from './category/category.entity';
import { categoryResolvers } from './category/category.resolvers';
import { DateTimeScalar } from './common/scalars';
import { liveResolvers } from './live/live.resolvers';
import { nodeResolvers } from './node/node.resolvers';
import { OrderItemSchema, OrderSchema } from './order/order.entity';
import { orderResolvers } from './order/order.resolvers';
import { ProductSchema } from './product/product.entity';
import { productResolvers } from './product/product.resolvers';
import { ReviewSchema } from './review/review.entity';
import { reviewResolvers } from './review/review.resolvers';
import { SessionSchema } from '../session/session.entity';
import { UserSchema } from './user/user.entity';
import { userResolvers } from './user/user.resolvers';

/** Every MikroORM entity of the storefront. */
export const entities = [CategorySchema, ProductSchema, UserSchema, ReviewSchema, OrderSchema, OrderItemSchema, SessionSchema];

export const SCHEMA_DIR = path.resolve(__dirname, '../../schema');

export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
}

/** `policies`: as for readPolicyMap (the default ttl), so Sandbox shows the ttls in force. */
export function buildStorefrontSchema(policies: PolicyMapOptions = {}): GraphQLSchema {
  const resolvers = mergeResolvers([
    { DateTime: DateTimeScalar },
    productResolvers,
    categoryResolvers,
    reviewResolvers,
    userResolvers,
    orderResolvers,
    adminResolvers,
    nodeResolvers,
    liveResolvers,
  ] as Resolvers[]);
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
  return withPolicyDescriptions(schema, readPolicyMap(schema, policies));
}
