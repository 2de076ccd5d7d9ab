/**
 * What a Relay client does: refetch objects by the `nodeId` it read from a list, with `node`
 * and `nodes`, and page lists by `pageInfo`. With the cache on Redis (a second instance reads
 * what the first stored, from Redis alone) and with the cache off. Orders answer only to their
 * owner, users only to themselves or once they have written a review; ids that are not node
 * ids answer BAD_USER_INPUT, well-formed ids of missing rows null.
 */
import { SEED_PASSWORD } from '../../src/db/seed/dataset';
import { toGlobalId } from '../../src/modules/common/global-id';
import { hashPassword } from '../../src/session/password';
import { startTestServer, type GraphQLResponse, type TestInstance, type TestServer, type TestServerOptions } from '../helpers/server';

const NODE_FIELDS = `
  __typename
  nodeId
  ... on Product { id name }
  ... on Category { id slug }
  ... on Review { id rating }
  ... on User { id name }
  ... on Order { id totalCents }`;
const NODE = `query Node($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`;
const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ${NODE_FIELDS} } }`;

/** Ids as a client meets them: in lists and in the objects the lists hold. */
const LISTED = `query Listed($productId: ID!) {
  products(first: 2) { edges { node { __typename id nodeId category { __typename id nodeId } } } }
  product(id: $productId) { reviews(first: 2) { edges { node { __typename id nodeId author { __typename id nodeId } } } } }
}`;
const MY_ORDERS = '{ me { __typename id nodeId orders(first: 2) { edges { node { __typename id nodeId } } } } }';

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

interface Found {
  __typename: string;
  id: string;
  nodeId: string;
}

function ok<T = any>(response: GraphQLResponse<T>): T {
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data!;
}

/** The seeded user number with the most orders (5 in the demo dataset). */
function busiestCustomer(server: TestServer): number {
  const counts = new Map<number, number>();
  for (const order of server.dataset.orders) counts.set(order.userId, (counts.get(order.userId) ?? 0) + 1);
  return [...counts].filter(([userId]) => userId !== 1).sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}

function mostReviewedProduct(server: TestServer): number {
  const counts = new Map<number, number>();
  for (const review of server.dataset.reviews) counts.set(review.productId, (counts.get(review.productId) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}

describe.each<[string, TestServerOptions]>([
  ['the cache on Redis', { redis: true }],
  ['CACHE_ENABLED=false', { config: { CACHE_ENABLED: 'false' } }],
])('with %s', (mode, options) => {
  const cached = mode === 'the cache on Redis';
  let server: TestServer;
  /** With the cache: another instance, with an empty L1, sharing the first one's Redis. */
  let other: TestInstance;
  /** A customer who has written no review yet (every seeded user has). */
  let newcomer: number;

  const settled = async () => {
    for (const instance of [server, other]) await instance.app.cacheLayer.cache?.settled();
  };

  beforeAll(async () => {
    server = await startTestServer({ label: 'relay', ...options });
    other = cached ? await server.startInstance() : server;
    newcomer = server.dataset.users.length + 1;
    await server.database.orm.em
      .fork()
      .getConnection()
      .execute('insert into app_user (id, name, email, password_hash, role) values (?, ?, ?, ?, ?)', [
        newcomer,
        'Nell Newcomer',
        `user${newcomer}@example.com`,
        await hashPassword(SEED_PASSWORD),
        'CUSTOMER',
      ]);
  });
  afterAll(() => server?.stop());

  const node = (instance: TestInstance, id: string, token?: string) => instance.request(NODE, { id }, token ? { token } : {});

  describe('node and nodes', () => {
    it('refetch every type by the nodeId read from a list, as the list showed it', async () => {
      const owner = busiestCustomer(server);
      const token = await server.login(owner);
      const listed = ok(await server.request(LISTED, { productId: String(mostReviewedProduct(server)) }));
      const mine = ok(await server.request(MY_ORDERS, {}, { token })).me;
      const found = ({ __typename, id, nodeId }: Found): Found => ({ __typename, id, nodeId });
      const publicOnes = [
        ...listed.products.edges.map((e: any) => e.node),
        ...listed.products.edges.map((e: any) => e.node.category),
        ...listed.product.reviews.edges.map((e: any) => e.node),
        ...listed.product.reviews.edges.map((e: any) => e.node.author),
      ].map(found);
      const ownerOnly = [mine, ...mine.orders.edges.map((e: any) => e.node)].map(found);
      expect(new Set([...publicOnes, ...ownerOnly].map((f) => f.__typename))).toEqual(new Set(['Product', 'Category', 'Review', 'User', 'Order']));

      const refetchAll = async (instance: TestInstance) => {
        for (const one of publicOnes) expect(ok(await node(instance, one.nodeId)).node).toMatchObject(one);
        for (const one of ownerOnly) expect(ok(await node(instance, one.nodeId, token)).node).toMatchObject(one);
      };
      await refetchAll(server);
      if (cached) {
        // The other instance has nothing in L1: everything, session included, comes from Redis.
        await settled();
        expect(await other.countSql(() => refetchAll(other))).toBe(0);
      }
    });

    it('a product and a category with the same id have different nodeIds, each refetching its own', async () => {
      const data = ok(await other.request('{ product(id: "3") { nodeId } category(id: "3") { nodeId } }'));
      expect(data.product.nodeId).not.toBe(data.category.nodeId);
      expect(ok(await other.request(NODES, { ids: [data.product.nodeId, data.category.nodeId] })).nodes).toEqual([
        expect.objectContaining({ __typename: 'Product', id: '3' }),
        expect.objectContaining({ __typename: 'Category', id: '3' }),
      ]);
    });

    it('nodes answers in the order asked, null for a missing row, one statement per type', async () => {
      // Rows nothing has read yet, so every one is a miss.
      const ids = [toGlobalId('Product', 181), toGlobalId('Review', 901), toGlobalId('Product', 182), toGlobalId('Product', 999999), toGlobalId('Review', 902)];
      let response!: GraphQLResponse;
      const sql = await server.countSql(async () => {
        response = await server.request(NODES, { ids });
      });
      expect(ok(response).nodes).toEqual([
        expect.objectContaining({ __typename: 'Product', id: '181', nodeId: ids[0] }),
        expect.objectContaining({ __typename: 'Review', id: '901', nodeId: ids[1] }),
        expect.objectContaining({ __typename: 'Product', id: '182', nodeId: ids[2] }),
        null,
        expect.objectContaining({ __typename: 'Review', id: '902', nodeId: ids[4] }),
      ]);
      expect(sql).toBe(2);
    });

    it('an Order answers only to the user who placed it; to anyone else, as a missing one does', async () => {
      const owner = busiestCustomer(server);
      const ownerToken = await server.login(owner);
      const order: Found = ok(await server.request(MY_ORDERS, {}, { token: ownerToken })).me.orders.edges[0].node;
      // The owner first, so with the cache on the order is cached before anyone else asks.
      expect(ok(await node(server, order.nodeId, ownerToken)).node).toMatchObject(order);
      const someoneElse = await server.login(owner === 2 ? 3 : 2);
      const admin = await server.login(1);
      for (const instance of [server, other]) {
        for (const token of [undefined, someoneElse, admin]) {
          expect(ok(await node(instance, order.nodeId, token)).node).toBeNull();
        }
        const product = toGlobalId('Product', 5);
        expect(ok(await instance.request(NODES, { ids: [order.nodeId, product] }, { token: someoneElse })).nodes).toEqual([
          null,
          expect.objectContaining({ __typename: 'Product', id: '5' }),
        ]);
      }
      expect(ok(await node(other, order.nodeId, ownerToken)).node).toMatchObject(order);
    });

    it("a User answers to themself, and to anyone once they have written a review; never with another's email", async () => {
      const author = server.dataset.reviews[0]!.authorId;
      const authorId = toGlobalId('User', author);
      expect(ok(await node(server, authorId)).node).toMatchObject({ __typename: 'User', id: String(author), nodeId: authorId });
      const email = await server.request('query ($id: ID!) { node(id: $id) { ... on User { name email } } }', { id: authorId });
      expect(email.body.data!.node).toBeNull();
      expect(email.body.errors).toEqual([expect.objectContaining({ path: ['node', 'email'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);

      const token = await server.login(newcomer);
      const me = ok(await server.request('{ me { id nodeId } }', {}, { token })).me;
      expect(ok(await node(server, me.nodeId, token)).node).toMatchObject({ __typename: 'User', id: String(newcomer), name: 'Nell Newcomer' });
      const stranger = await server.login(2);
      for (const instance of [server, other]) {
        expect(ok(await node(instance, me.nodeId)).node).toBeNull();
        expect(ok(await node(instance, me.nodeId, stranger)).node).toBeNull();
      }
      await settled();

      ok(
        await server.request('mutation ($p: ID!) { addReview(input: { productId: $p, rating: 4, body: "First words." }) { id } }', { p: '9' }, { token }),
      );
      // The first review drops the cached "has not reviewed" on every instance before answering.
      for (const instance of [server, other]) {
        expect(ok(await node(instance, me.nodeId)).node).toMatchObject({ __typename: 'User', id: String(newcomer), name: 'Nell Newcomer' });
      }
    });

    it('an id that is not a node id answers BAD_USER_INPUT saying what one looks like', async () => {
      const example = toGlobalId('Product', 42);
      const cases: [string, RegExp][] = [
        ['42', /looks like a type's own `id`; read the object's `nodeId` instead/],
        ['not a node id!', /pass a `nodeId` read from this API/],
        [`${example}==`, /pass a `nodeId` read from this API/],
        [Buffer.from('Product:42').toString('base64'), /pass a `nodeId` read from this API/],
        [toGlobalId('Product', 0), /pass a `nodeId` read from this API/],
        [toGlobalId('Product', 2 ** 31), /pass a `nodeId` read from this API/],
        [toGlobalId('OrderItem', 1), /names OrderItem, which has no node ids; node ids are of Product, Category, User, Review, Order/],
        [toGlobalId('Session', 1), /names Session, which has no node ids/],
      ];
      for (const [id, message] of cases) {
        const response = await other.request(NODE, { id });
        expect({ id, data: response.body.data }).toEqual({ id, data: { node: null } });
        expect(response.body.errors).toEqual([
          expect.objectContaining({ message: expect.stringMatching(message), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'id' }) }),
        ]);
        expect(response.body.errors![0]!.message).toContain(example);
      }
    });

    it('a well-formed id of a row that does not exist answers null, without an error', async () => {
      for (const typeName of ['Product', 'Category', 'Review', 'User', 'Order']) {
        expect(ok(await other.request(NODE, { id: toGlobalId(typeName, 999999) })).node).toBeNull();
      }
    });

    it('nodes: a bad id fails its own position only; more than 100 ids fail the field', async () => {
      const good = [toGlobalId('Category', 1), toGlobalId('Category', 2)];
      const response = await other.request(NODES, { ids: [good[0], '17', good[1]] });
      expect(response.body.data!.nodes).toEqual([
        expect.objectContaining({ __typename: 'Category', id: '1' }),
        null,
        expect.objectContaining({ __typename: 'Category', id: '2' }),
      ]);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['nodes', 1], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'ids[1]' }) }),
      ]);

      const many = Array.from({ length: 101 }, (_, i) => toGlobalId('Product', i + 1));
      const refused = await other.request(NODES, { ids: many });
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ message: expect.stringContaining('at most 100'), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'ids' }) }),
      ]);
      expect(ok(await other.request(NODES, { ids: many.slice(0, 100) })).nodes).toHaveLength(100);
    });
  });

  describe('pageInfo', () => {
    interface List {
      label: string;
      document: (extra: string) => string;
      variables: () => Record<string, unknown>;
      connection: (data: any) => any;
      token?: () => Promise<string>;
    }
    const lists: List[] = [
      {
        label: 'Query.products',
        document: (extra) => `query ($first: Int, $after: String) { products(first: $first, after: $after) { edges { cursor node { id } } ${PAGE_INFO} ${extra} } }`,
        variables: () => ({}),
        connection: (data) => data.products,
      },
      {
        label: 'Category.products',
        document: (extra) =>
          `query ($id: ID!, $first: Int, $after: String) { category(id: $id) { products(first: $first, after: $after) { edges { cursor node { id } } ${PAGE_INFO} ${extra} } } }`,
        variables: () => ({ id: '2' }),
        connection: (data) => data.category.products,
      },
      {
        label: 'Product.reviews',
        document: (extra) =>
          `query ($id: ID!, $first: Int, $after: String) { product(id: $id) { reviews(first: $first, after: $after) { edges { cursor node { id } } ${PAGE_INFO} ${extra} } } }`,
        variables: () => ({ id: String(mostReviewedProduct(server)) }),
        connection: (data) => data.product.reviews,
      },
      {
        label: 'User.orders',
        document: (extra) => `query ($first: Int, $after: String) { me { orders(first: $first, after: $after) { edges { cursor node { id } } ${PAGE_INFO} ${extra} } } }`,
        variables: () => ({}),
        connection: (data) => data.me.orders,
        token: () => server.login(busiestCustomer(server)),
      },
    ];

    it.each(lists.map((list) => [list.label, list] as const))('%s: first, later and last pages, and empty ones', async (_label, list) => {
      const token = list.token ? await list.token() : undefined;
      const ask = async (instance: TestInstance, first: number, after: string | null, extra = '') =>
        list.connection(ok(await instance.request(list.document(extra), { ...list.variables(), first, after }, token ? { token } : {})));
      const expectPage = (page: any, hasPrevious: boolean) => {
        expect(page.pageInfo.hasPreviousPage).toBe(hasPrevious);
        expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      };

      const pages: { first: number; after: string | null; page: any }[] = [];
      let after: string | null = null;
      for (let first = 2; ; first = pages.length < 2 ? 2 : 100) {
        const page = await ask(server, first, after);
        expectPage(page, after !== null);
        pages.push({ first, after, page });
        if (!page.pageInfo.hasNextPage) break;
        expect(pages.length).toBeLessThan(10);
        after = page.pageInfo.endCursor;
      }
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages[0]!.page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(pages.at(-1)!.page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const ids = pages.flatMap((p) => p.page.edges.map((e: any) => e.node.id));
      expect(new Set(ids).size).toBe(ids.length);

      const empty = await ask(server, 0, null);
      expect(empty.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
      const emptyLater = await ask(server, 0, pages[0]!.page.pageInfo.endCursor);
      expect(emptyLater.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true, startCursor: null, endCursor: null });

      if (cached) {
        // The same pages from the other instance, with a selection no whole response holds: the
        // list field's own entry (ids and cursors) is read back from Redis, pageInfo and all.
        await settled();
        const again: any[] = [];
        const sql = await other.countSql(async () => {
          for (const { first, after: from } of pages) again.push(await ask(other, first, from, '__typename'));
        });
        expect(sql).toBe(0);
        expect(again.map(({ __typename: _t, ...rest }) => rest)).toEqual(pages.map((p) => p.page));
      }
    });
  });
});
