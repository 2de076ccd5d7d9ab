/**
 * Subscription fields. The server's live registry (`server/live/`) picks the topic and the
 * events each field answers (`live.topics.ts`) and runs each distinct subscription once per
 * event, with the event as the root value and a fresh context: these resolvers read the
 * entity the event names through the loaders and the cache, like a query, after the change
 * committed and its tags were dropped.
 */
import type { CategoryChangeKind, Resolvers } from '../../__generated__/resolvers-types';
import { NotFoundError } from '../../errors';
import type { DomainEvent, DomainEventOf } from '../../events/domain-events';
import type { LiveEvent } from '../../events/live-bus';
import { parseId } from '../common/ids';
import type { Context } from '../context';
import type { OrderModel } from '../models';

/** `graphql.subscribe` never runs these fields: the live registry does (see server/live). */
const servedByTheLiveRegistry = () => {
  throw new Error('Subscriptions are served by the live registry, over WebSocket at /graphql.');
};

function eventOf<T extends DomainEvent['type']>(root: unknown, ...types: T[]): DomainEventOf<T> {
  const live = root as LiveEvent;
  if (!(types as string[]).includes(live.event.type)) throw new Error(`Unexpected ${live.event.type} for this subscription`);
  return live.event as DomainEventOf<T>;
}

async function productOf(context: Context, id: number) {
  const product = await context.loaders.product.load(id);
  if (!product) throw new NotFoundError('Product', String(id));
  return product;
}

export const liveResolvers: Resolvers = {
  Subscription: {
    productUpdated: {
      subscribe: servedByTheLiveRegistry,
      resolve: (live: unknown, _args: unknown, context: Context) => productOf(context, eventOf(live, 'ProductUpdated').productId),
    },
    stockChanged: {
      subscribe: servedByTheLiveRegistry,
      resolve: (live: unknown, _args: unknown, context: Context) => productOf(context, eventOf(live, 'ProductUpdated').productId),
    },
    reviewAdded: {
      subscribe: servedByTheLiveRegistry,
      resolve: async (live: unknown, _args: unknown, context: Context) => {
        const { reviewId } = eventOf(live, 'ReviewAdded');
        const review = await context.loaders.review.load(reviewId);
        if (!review) throw new NotFoundError('Review', String(reviewId));
        return review;
      },
    },
    categoryChanged: {
      subscribe: servedByTheLiveRegistry,
      resolve: async (live: unknown, args: { id: string }, context: Context) => {
        const event = eventOf(live, 'ProductCreated', 'ProductUpdated', 'ProductDeleted');
        const categoryId = parseId(args.id);
        const kind: CategoryChangeKind =
          event.type === 'ProductCreated'
            ? 'ADDED'
            : event.type === 'ProductDeleted'
              ? 'REMOVED'
              : event.categoryIds.at(-1) === categoryId
                ? 'MOVED_IN'
                : 'MOVED_OUT';
        const [category, product] = await Promise.all([
          context.loaders.category.load(categoryId),
          kind === 'REMOVED' ? null : productOf(context, event.productId),
        ]);
        if (!category) throw new NotFoundError('Category', String(categoryId));
        return { kind, category, productId: event.productId, product };
      },
    },
    orderStatusChanged: {
      subscribe: servedByTheLiveRegistry,
      resolve: async (live: unknown, _args: unknown, context: Context) => {
        const { orderId, userId } = eventOf(live, 'OrderStatusChanged');
        // The registry routes only the viewer's own orders here; this holds should it ever not.
        if (context.viewer?.userId !== userId) throw new NotFoundError('Order', String(orderId));
        const order = (await context.loaders.entities.Order.load(orderId)) as OrderModel | null;
        if (!order) throw new NotFoundError('Order', String(orderId));
        return order;
      },
    },
  },
};
