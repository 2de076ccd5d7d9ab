/**
 * Which cache tags each domain event makes stale. Entries carry entity tags (`Product:42`)
 * derived from their content, `<Type>:<id>:<field>` tags for relations, and `<Type>:list` for
 * root lists (see `cache/field-cache.ts`); this is the storefront's side of that contract.
 */
import { entityTag } from '../cache/keys';
import type { DomainEvent } from '../events/domain-events';
import { SESSION_TYPE } from '../session/session-cache';

/**
 * The list tags a change of each product field reaches: the lists ordered or filtered by it
 * (see the `tags` of `Query.products` and `Category.products`). Category moves are handled by
 * the categories' own tags; stock and timestamps order or filter nothing.
 */
const LISTS_SHAPED_BY: Record<string, readonly string[]> = {
  priceCents: ['Product:list:order:PRICE_ASC', 'Product:list:order:PRICE_DESC', 'Product:list:price'],
  name: ['Product:list:order:NAME_ASC', 'Product:list:text'],
  description: ['Product:list:text'],
};

export function tagsForEvent(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProductCreated':
      return ['Product:list', `Category:${event.categoryId}:products`];
    case 'ProductUpdated': {
      const tags = [`Product:${event.productId}`, ...event.fields.flatMap((field) => LISTS_SHAPED_BY[field] ?? [])];
      for (const categoryId of event.categoryIds) tags.push(`Category:${categoryId}:products`);
      return [...new Set(tags)];
    }
    case 'ReviewAdded':
      // The author's first review makes them visible to everyone through `node` (see loaders).
      return [`Product:${event.productId}:reviews`, `User:${event.authorId}:reviews`];
    case 'OrderPlaced':
      return [`User:${event.userId}:orders`];
    case 'SessionEnded':
      return [entityTag(SESSION_TYPE, event.sessionId)];
  }
}
