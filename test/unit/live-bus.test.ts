/**
 * The in-process live bus (one instance, no Redis) keeps the Redis bus's promises: a row
 * published twice is heard once, events are heard in id order, a resume point gives what
 * followed it, and one no longer kept is refused.
 */
import { EventsExpiredError, InProcessLiveBus, compareEventIds, type LiveEvent } from '../../src/events/live-bus';
import type { DomainEvent } from '../../src/events/domain-events';

const event = (productId: number): DomainEvent => ({ type: 'ProductUpdated', productId, fields: ['priceCents'], categoryIds: [] });

it('dedupes by row, keeps order, replays after an id, refuses one no longer kept, and releases topics', async () => {
  const bus = new InProcessLiveBus({ maxLen: 3 });
  const heard: LiveEvent[] = [];
  const subscription = bus.subscribe('product:1', (live) => heard.push(live));
  expect(bus.topicCount).toBe(1);
  await bus.publish([{ rowId: '1', event: event(1), topics: ['product:1', 'category:9'] }]);
  await bus.publish([{ rowId: '1', event: event(1), topics: ['product:1'] }]);
  for (const rowId of ['2', '3', '4']) await bus.publish([{ rowId, event: event(1), topics: ['product:1'] }]);
  expect(heard).toHaveLength(4);
  const ids = heard.map((live) => live.id);
  expect([...ids].sort(compareEventIds)).toEqual(ids);
  expect((await bus.replay('product:1', ids[1]!)).map((live) => live.id)).toEqual(ids.slice(2));
  await expect(bus.replay('product:1', ids[0]!)).rejects.toBeInstanceOf(EventsExpiredError);
  await expect(bus.replay('product:1', '1-0')).rejects.toBeInstanceOf(EventsExpiredError);
  subscription.unsubscribe();
  expect(bus.topicCount).toBe(0);
});
