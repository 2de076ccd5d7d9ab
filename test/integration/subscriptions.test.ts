/**
 * Live updates across instances, on one PostgreSQL and one Redis: a write through A reaches a
 * subscriber on B with the committed values; watchers of another product hear nothing; the
 * workload documents are served unchanged; equal subscriptions share one execution per event.
 */
import { benchDocument } from '../helpers/documents';
import WebSocket from 'ws';
import { record, useLiveInstances, wsUrl } from '../helpers/live';
import type { TestInstance, TestServer } from '../helpers/server';
import { until } from '../helpers/until';

const live = useLiveInstances({ label: 'subscriptions', config: { LIVE_SOCKETS_PER_ADDRESS_MAX: '1000' } });
const { client, setPrice } = live;
let a: TestServer;
let b: TestInstance;
let adminToken: string;
beforeAll(() => ({ a, b, adminToken } = live));

/** Waits until `count` more subscriptions of `instance` hear live events (their topics' SUBSCRIBEs are acknowledged). */
function listening(instance: TestInstance, baseline: number, count: number) {
  return until(() => instance.app.live.registry.readyCount === baseline + count);
}

describe('productUpdated across instances', () => {
  it('a mutation through A reaches a subscriber on B with the committed values, and only its own product', async () => {
    const [first, second] = a.dataset.products;
    const baseline = b.app.live.registry.readyCount;
    const watcher = client(b);
    const mine = record(watcher, benchDocument('product-updated'), { id: String(first!.id) });
    const others = record(watcher, benchDocument('product-updated'), { id: String(second!.id) });
    await listening(b, baseline, 2);

    await setPrice(a, first!.id, 4242);
    await mine.waitFor(1);
    expect(mine.payloads[0]!.data).toEqual({ productUpdated: expect.objectContaining({ id: String(first!.id), priceCents: 4242 }) });
    expect(mine.payloads[0]!.extensions?.eventId).toMatch(/^\d+-\d+$/);

    await setPrice(a, first!.id, 4343);
    await mine.waitFor(2);
    expect(mine.payloads[1]!.data.productUpdated.priceCents).toBe(4343);
    // The other product's watcher heard nothing of these.
    await setPrice(a, second!.id, 777);
    await others.waitFor(1);
    expect(others.payloads).toHaveLength(1);
    expect(others.payloads[0]!.data.productUpdated).toEqual(expect.objectContaining({ id: String(second!.id), priceCents: 777 }));
    expect(mine.payloads).toHaveLength(2);
  });

  it('reviewAdded serves the workload document unchanged', async () => {
    const product = a.dataset.products[3]!;
    const baseline = b.app.live.registry.readyCount;
    const watcher = client(b);
    const reviews = record(watcher, benchDocument('review-added'), { productId: String(product.id) });
    await listening(b, baseline, 1);
    const token = await a.login(2);
    const added = await a.request(
      'mutation ($input: AddReviewInput!) { addReview(input: $input) { id } }',
      { input: { productId: String(product.id), rating: 4, body: 'Live!' } },
      { token },
    );
    expect(added.body.errors).toBeUndefined();
    await reviews.waitFor(1);
    expect(reviews.payloads[0]!.data.reviewAdded).toEqual(
      expect.objectContaining({ id: String(added.body.data.addReview.id), rating: 4, body: 'Live!', author: expect.objectContaining({ id: '2' }) }),
    );
  });
});

describe('one resolution per distinct subscription', () => {
  it('100 clients on one product cost one execution per event, and receive the same payload bytes', async () => {
    const product = a.dataset.products[5]!;
    const baseline = b.app.live.registry.readyCount;
    const watchers = Array.from({ length: 100 }, () => client(b));
    const recordings = watchers.map((watcher) => record(watcher, benchDocument('product-updated'), { id: String(product.id) }));
    await listening(b, baseline, 100);
    const before = b.app.live.registry.resolutions;

    await setPrice(a, product.id, 1001);
    await Promise.all(recordings.map((recording) => recording.waitFor(1)));
    await setPrice(a, product.id, 1002);
    await Promise.all(recordings.map((recording) => recording.waitFor(2)));

    expect(b.app.live.registry.resolutions - before).toBe(2);
    const firsts = new Set(recordings.map((recording) => JSON.stringify(recording.payloads[0])));
    expect(firsts.size).toBe(1);
    expect(recordings[0]!.payloads[1]!.data.productUpdated.priceCents).toBe(1002);
    for (const recording of recordings) recording.stop();
  });


  it('writes the same payload bytes to every socket: only the frame\'s id differs', async () => {
    const product = a.dataset.products[6]!;
    const frames: string[][] = [[], []];
    const sockets = await Promise.all(
      frames.map(
        (received, n) =>
          new Promise<WebSocket>((resolve) => {
            const socket = new WebSocket(wsUrl(b.url), 'graphql-transport-ws');
            socket.on('message', (data) => {
              const text = String(data);
              if (text.includes('"connection_ack"')) {
                socket.send(JSON.stringify({ id: `client-${n}`, type: 'subscribe', payload: { query: benchDocument('product-updated'), variables: { id: String(product.id) } } }));
                resolve(socket);
              } else received.push(text);
            });
            socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
          }),
      ),
    );
    await listening(b, 0, 2);
    await setPrice(a, product.id, 6060);
    await until(() => frames.every((received) => received.length === 1));
    const [first, second] = frames.map((received) => received[0]!);
    expect(first!.startsWith('{"id":"client-0","type":"next","payload":')).toBe(true);
    expect(first!.replace('"client-0"', '"client-1"')).toBe(second);
    for (const socket of sockets) socket.close();
  });
});

describe('stockChanged and categoryChanged', () => {
  it('stockChanged hears stock changes (an order, the back office) and not price changes', async () => {
    const product = a.dataset.products[7]!;
    const baseline = b.app.live.registry.readyCount;
    const stock = record(client(b), 'subscription ($id: ID!) { stockChanged(productId: $id) { id stock } }', { id: String(product.id) });
    await listening(b, baseline, 1);
    const before = (await a.request('query ($id: ID!) { product(id: $id) { stock } }', { id: String(product.id) })).body.data.product.stock;

    await setPrice(a, product.id, 999);
    const adjusted = await a.request('mutation ($id: ID!) { adjustStock(id: $id, delta: 5) { stock } }', { id: String(product.id) }, { token: adminToken });
    expect(adjusted.body.errors).toBeUndefined();
    await stock.waitFor(1);
    expect(stock.payloads[0]!.data.stockChanged).toEqual({ id: String(product.id), stock: before + 5 });

    const placed = await a.request(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: String(product.id), quantity: 2 }] } },
      { token: await a.login(3) },
    );
    expect(placed.body.errors).toBeUndefined();
    await stock.waitFor(2);
    expect(stock.payloads[1]!.data.stockChanged.stock).toBe(before + 3);
    expect(stock.payloads).toHaveLength(2);
  });

  it('categoryChanged hears products added to, moved into and moved out of the category', async () => {
    const [home, away] = a.dataset.categories;
    const baseline = b.app.live.registry.readyCount;
    const QUERY = 'subscription ($id: ID!) { categoryChanged(id: $id) { kind category { id } product { id category { id } } } }';
    const homeChanges = record(client(b), QUERY, { id: String(home!.id) });
    const awayChanges = record(client(b), QUERY, { id: String(away!.id) });
    await listening(b, baseline, 2);

    const created = await a.request(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku: 'LIVE-1', name: 'Live one', priceCents: 100, categoryId: String(home!.id) } },
      { token: adminToken },
    );
    expect(created.body.errors).toBeUndefined();
    const id = String(created.body.data.createProduct.id);
    await homeChanges.waitFor(1);
    expect(homeChanges.payloads[0]!.data.categoryChanged).toEqual({ kind: 'ADDED', category: { id: String(home!.id) }, product: { id, category: { id: String(home!.id) } } });

    const moved = await a.request('mutation ($id: ID!, $c: ID!) { updateProduct(id: $id, input: { categoryId: $c }) { id } }', { id, c: String(away!.id) }, { token: adminToken });
    expect(moved.body.errors).toBeUndefined();
    await Promise.all([homeChanges.waitFor(2), awayChanges.waitFor(1)]);
    expect(homeChanges.payloads[1]!.data.categoryChanged).toEqual({ kind: 'MOVED_OUT', category: { id: String(home!.id) }, product: { id, category: { id: String(away!.id) } } });
    expect(awayChanges.payloads[0]!.data.categoryChanged).toEqual({ kind: 'MOVED_IN', category: { id: String(away!.id) }, product: { id, category: { id: String(away!.id) } } });

    // A price change is no category change.
    await setPrice(a, Number(id), 5);
    const again = await a.request('mutation ($id: ID!, $c: ID!) { updateProduct(id: $id, input: { categoryId: $c }) { id } }', { id, c: String(home!.id) }, { token: adminToken });
    expect(again.body.errors).toBeUndefined();
    await homeChanges.waitFor(3);
    expect(homeChanges.payloads.map((payload) => payload.data.categoryChanged.kind)).toEqual(['ADDED', 'MOVED_OUT', 'MOVED_IN']);
  });
});
