/**
 * Live updates across instances, on one PostgreSQL and one Redis: a write through A reaches a
 * subscriber on B with the committed values; watchers of another product hear nothing; the
 * workload documents are served unchanged; equal subscriptions share one execution per event.
 */
import { benchDocument } from '../helpers/documents';
import { liveClient, record, type LiveClient } from '../helpers/live';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server';
import { until } from '../helpers/until';

let a: TestServer;
let b: TestInstance;
let adminToken: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  a = await startTestServer({ label: 'subscriptions', redis: true, config: { LIVE_SOCKETS_PER_ADDRESS_MAX: '1000' } });
  b = await a.startInstance();
  adminToken = await a.login(1);
}, 60_000);
// Every test starts with no subscription anywhere: counts taken in it are its own.
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await until(() => a.app.live.registry.memberCount === 0 && b.app.live.registry.memberCount === 0);
});
afterAll(async () => {
  await a?.stop();
});

function client(instance: TestInstance, token?: string): LiveClient {
  const made = liveClient(instance.url, { token });
  clients.push(made);
  return made;
}

const UPDATE_PRICE = 'mutation ($id: ID!, $price: Int!) { updateProduct(id: $id, input: { priceCents: $price }) { id priceCents } }';

async function setPrice(instance: TestInstance, id: number, price: number) {
  const result = await instance.request(UPDATE_PRICE, { id: String(id), price }, { token: adminToken });
  expect(result.body.errors).toBeUndefined();
}

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
});
