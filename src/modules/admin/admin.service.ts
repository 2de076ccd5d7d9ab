/**
 * `invalidateCache`: an operator says data changed where the API cannot see it. Shared by the
 * GraphQL mutation and `POST /admin/cache/invalidate`.
 *
 * By type, the whole cache is emptied (a new key generation, as `purgeCache`): an entity's
 * data is held by its own entry, but also by the lists that order or filter by it and by the
 * whole responses built from it, which carry no type tag. Tagging every entry with its types
 * would make each fill pay for a set whose invalidation deletes every entry of the type in one
 * Redis call; a purge costs one counter and one message, and bulk changes from elsewhere
 * (an import) touch most of a type anyway. Entities and tags drop exactly their entries.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../errors';
import { outboxInsert, type EventOutbox, type InvalidationOutcome } from '../../events/outbox';
import { parseId } from '../common/ids';
import { CACHE_INVALIDATION_REQUESTED, tagsForEntity } from '../invalidation';
import { ENTITY_TYPES } from '../loaders';

export interface InvalidationRequest {
  types?: readonly string[] | null;
  entities?: readonly { type: string; id: string }[] | null;
  tags?: readonly string[] | null;
}

export interface InvalidationReport {
  tags: string[];
  purged: boolean;
  status: 'ACKNOWLEDGED' | 'DEFERRED';
  receivers: number;
  acknowledged: number;
  eventId: string;
}

const MAX_TAGS = 1000;
const MAX_ENTITIES = 1000;
/** Tags are built from type names, ids and argument values: printable, no spaces. */
const TAG = /^[^\s\u0000-\u001f\u007f]{1,256}$/;

const knownTypes = new Set<string>(ENTITY_TYPES);

function requireKnownType(type: string, field: string): string {
  if (!knownTypes.has(type)) {
    throw new BadUserInputError(`"${field}": "${type}" is not a cached type; use one of ${ENTITY_TYPES.join(', ')}.`, {
      field,
      knownTypes: [...ENTITY_TYPES],
    });
  }
  return type;
}

/**
 * Checks `request` and turns it into tags and whether to purge; throws BAD_USER_INPUT naming
 * the offending field.
 */
export function planInvalidation(
  request: InvalidationRequest,
  cachedFieldsOf: (typeName: string) => readonly string[],
): { tags: string[]; purge: boolean; types: string[] } {
  const types = (request.types ?? []).map((type, i) => requireKnownType(type, `types[${i}]`));
  const entities = request.entities ?? [];
  const given = request.tags ?? [];
  if (types.length === 0 && entities.length === 0 && given.length === 0) {
    throw new BadUserInputError('Say what to invalidate: give "types", "entities" or "tags" (at least one, not empty).', { field: 'tags' });
  }
  if (entities.length > MAX_ENTITIES) {
    throw new BadUserInputError(`"entities": at most ${MAX_ENTITIES} per request; split the list.`, { field: 'entities' });
  }
  if (given.length > MAX_TAGS) throw new BadUserInputError(`"tags": at most ${MAX_TAGS} per request; split the list.`, { field: 'tags' });
  given.forEach((tag, i) => {
    if (typeof tag !== 'string' || !TAG.test(tag)) {
      throw new BadUserInputError(`"tags[${i}]": a tag is 1 to 256 characters without spaces, e.g. "Product:42" or "Product:list".`, {
        field: `tags[${i}]`,
      });
    }
  });
  const entityTags = entities.flatMap((entity, i) => {
    const type = requireKnownType(entity.type, `entities[${i}].type`);
    return tagsForEntity(type, parseId(entity.id, `entities[${i}].id`), cachedFieldsOf(type));
  });
  return { tags: [...new Set([...entityTags, ...given])], purge: types.length > 0, types };
}

/**
 * Records the request in the outbox (one statement), then drops its tags (or the whole cache)
 * on every instance. A drop that cannot reach every instance now is published again by the
 * relay; the report says which happened.
 */
export async function invalidateCache(
  em: SqlEntityManager,
  outbox: EventOutbox,
  request: InvalidationRequest,
  options: { cachedFieldsOf: (typeName: string) => readonly string[]; requestedBy: number },
): Promise<InvalidationReport> {
  const { tags, purge, types } = planInvalidation(request, options.cachedFieldsOf);
  const insert = outboxInsert([
    {
      type: CACHE_INVALIDATION_REQUESTED,
      payload: { type: CACHE_INVALIDATION_REQUESTED, types, entities: request.entities ?? [], tags, purge, requestedBy: options.requestedBy },
      tags,
    },
  ]);
  const [row] = await em.execute<{ id: string }[]>(insert.sql, insert.params);
  const eventId = String(row!.id);
  const outcome: InvalidationOutcome = await outbox.publish(outbox.recorded([eventId], [], { tags, purge }));
  return {
    tags,
    purged: purge,
    status: outcome.status === 'acknowledged' ? 'ACKNOWLEDGED' : 'DEFERRED',
    receivers: outcome.receivers,
    acknowledged: outcome.acknowledged,
    eventId,
  };
}
