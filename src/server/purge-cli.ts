/**
 * `npm run cache:purge`: empties the cache of every instance of this deployment (same
 * CACHE_KEY_PREFIX, whatever schema each runs), e.g. after a manual data fix. Moves the key
 * generation and tells every instance; scans nothing.
 */
import { loadConfig } from '../config';
import { InvalidationChannel } from '../cache/invalidation-channel';
import { KeySpace } from '../cache/keys';
import { TwoTierCache } from '../cache/two-tier-cache';
import { closeRedis, createCacheClient, createSubscriberClient, untilReady } from '../redis/clients';
import { runScript } from './cli';

runScript('Purge', async () => {
  const config = loadConfig();
  if (!config.redisUrl) {
    process.stdout.write('No REDIS_URL: each instance has only its in-process cache, which a restart empties.\n');
    return;
  }
  const prefix = config.cacheKeyPrefix;
  const client = createCacheClient({ url: config.redisUrl, commandTimeoutMs: 5000, tlsCa: config.redisTlsCa });
  const cache = new TwoTierCache({ keys: new KeySpace(prefix, 0), redis: client });
  const channel = new InvalidationChannel({
    cache,
    publisher: client,
    subscriber: createSubscriberClient({ url: config.redisUrl, tlsCa: config.redisTlsCa }),
    prefix,
    ackTimeoutMs: config.cacheAckTimeoutMs,
  });
  try {
    // The cache client refuses commands until connected (no offline queue): wait for it.
    await untilReady(client, 5000).catch(() => {
      throw new Error('Redis at REDIS_URL did not answer within 5 s; nothing was purged. Check that it is up and reachable.');
    });
    await channel.start();
    const { generation, receivers, acknowledged } = await channel.purge();
    // This process listens too: it is one of the receivers, not an API instance.
    process.stdout.write(`Cache purged: generation ${generation}; ${acknowledged - 1} of ${receivers - 1} instances acknowledged.\n`);
  } finally {
    await channel.stop();
    await closeRedis(client);
  }
});
