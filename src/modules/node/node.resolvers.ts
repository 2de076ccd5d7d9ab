/**
 * Relay's Global Object Identification: `node(id:)` and `nodes(ids:)` answer any object that
 * has an entity loader from its `nodeId`, reading through the same loaders (and so the same
 * cache) as every other way to reach it, and under the same rules of who may see it.
 */
import type { Resolvers } from '../../__generated__/resolvers-types';
import { BadUserInputError } from '../../errors';
import { fromGlobalId, toGlobalId } from '../common/global-id';
import type { Context } from '../context';
import { ENTITY_TYPES, loadEntity, type EntityTypeName } from '../loaders';
import type { CategoryModel, OrderModel, ProductModel, ReviewModel, UserModel } from '../models';

type NodeModel = CategoryModel | OrderModel | ProductModel | ReviewModel | UserModel;

/** As many as a page of a list; one request asking for thousands would bypass that bound. */
export const MAX_NODES = 100;

/**
 * The type of each object `node` answered with, for `Node.__resolveType`. With the cache on,
 * entities are plain records, so their class cannot say; and an object is only ever of one type,
 * so one map can serve every request.
 */
const typeOfNode = new WeakMap<object, EntityTypeName>();

/**
 * Whether the viewer may see the object at all, by the rules of the other ways to reach it: an
 * order only through its owner's `User.orders`, a user only as `me` or as a review's author.
 * An object they may not see answers exactly as a missing one does, so `node` tells nobody
 * which orders or accounts exist.
 */
async function visible(context: Context, typeName: EntityTypeName, entity: NodeModel): Promise<boolean> {
  switch (typeName) {
    case 'Order':
      return context.viewer !== null && context.viewer.userId === (entity as OrderModel).user.id;
    case 'User': {
      const { id } = entity as UserModel;
      if (context.viewer?.userId === id) return true;
      return (await context.loaders.authorship.load(id))?.hasReviews ?? false;
    }
    default:
      return true;
  }
}

async function resolveNode(context: Context, nodeId: string, argument: string): Promise<NodeModel | null> {
  const { typeName, id } = fromGlobalId(nodeId, ENTITY_TYPES, argument);
  const entity = (await loadEntity(context.loaders, typeName, id)) as NodeModel | null;
  if (!entity || !(await visible(context, typeName, entity))) return null;
  typeOfNode.set(entity, typeName);
  return entity;
}

const nodeIdOf = (typeName: EntityTypeName) => (entity: { id: number }) => toGlobalId(typeName, entity.id);

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, { id }, context) => resolveNode(context, id, 'id'),
    nodes: (_parent, { ids }, context) => {
      if (ids.length > MAX_NODES) {
        throw new BadUserInputError(`"ids" holds ${ids.length} ids; ask for at most ${MAX_NODES} at a time.`, { field: 'ids' });
      }
      // One promise per item, not Promise.all: a malformed id fails its own position only, and
      // the loads of the others still batch into one lookup per type.
      return ids.map((id, index) => resolveNode(context, id, `ids[${index}]`)) as unknown as NodeModel[];
    },
  },
  Node: {
    __resolveType: (node) => typeOfNode.get(node) ?? null,
  },
  Product: { nodeId: nodeIdOf('Product') },
  Category: { nodeId: nodeIdOf('Category') },
  Review: { nodeId: nodeIdOf('Review') },
  User: { nodeId: nodeIdOf('User') },
  Order: { nodeId: nodeIdOf('Order') },
};
