/**
 * Which cache tags each domain event makes stale. Entries carry entity tags (`Product:42`)
 * derived from their content, `<Type>:<id>:<field>` tags for relations, and `<Type>:list` for
 * root lists (see `cache/field-cache.ts`); this is the storefront's side of that contract.
 */
import type { DomainEvent } from '../events/domain-events';

/** Product fields that decide where a product sits in a filtered or ordered list. */
const LIST_SHAPING_FIELDS = new Set(['priceCents', 'name', 'description', 'category']);

export function tagsForEvent(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProductCreated':
      return ['Product:list', `Category:${event.categoryId}:products`];
    case 'ProductUpdated': {
      const tags = [`Product:${event.productId}`];
      if (event.fields.some((field) => LIST_SHAPING_FIELDS.has(field))) tags.push('Product:list');
      for (const categoryId of event.categoryIds) tags.push(`Category:${categoryId}:products`);
      return tags;
    }
    case 'ReviewAdded':
      return [`Product:${event.productId}:reviews`];
    case 'OrderPlaced':
      return [`User:${event.userId}:orders`];
  }
}
