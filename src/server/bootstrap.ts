/**
 * Turns a Config into a running service: picks the database (the configured one, or an
 * embedded PGlite), migrates it, seeds an empty one when asked, and builds the app. Every part
 * it starts is stopped by `stop()`, in reverse order.
 */
import type { Config } from '../config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
import { createDatabase, migrate, type Database } from '../db/orm';
import { isEmpty, seed } from '../db/seed/seed';
import { SEED_PASSWORD } from '../db/seed/dataset';
import { InProcessEventBus, type EventBus } from '../events/bus';
import { entities } from '../modules';
import { hashPassword } from '../session/password';
import { createApp } from './app';
import { createLogger, type Logger } from './logger';

export interface RunningService {
  url: string;
  database: Database;
  events: EventBus;
  logger: Logger;
  stop(): Promise<void>;
}

export async function bootstrap(config: Config, logger: Logger = createLogger(config)): Promise<RunningService> {
  let embedded: EmbeddedPostgres | undefined;
  let clientUrl = config.databaseUrl;
  if (!clientUrl) {
    embedded = await startEmbeddedPostgres(config.embeddedDataDir);
    clientUrl = embedded.url;
    logger.info({ dataDir: config.embeddedDataDir }, 'database: embedded PostgreSQL (PGlite), no DATABASE_URL set');
  } else {
    logger.info({ database: redactUrl(clientUrl) }, 'database: PostgreSQL from DATABASE_URL');
  }
  // PGlite executes one statement at a time; more connections would only queue.
  const database = await createDatabase({ clientUrl, entities, poolMax: embedded ? 1 : config.databasePoolMax, embedded: embedded !== undefined });
  await migrate(database.orm);
  if (config.seedOnEmpty && (await isEmpty(database.orm))) {
    const started = Date.now();
    await seed(database.orm, { size: config.seedSize, passwordHash: await hashPassword(SEED_PASSWORD) });
    logger.info({ size: config.seedSize, ms: Date.now() - started }, 'database was empty: loaded the seed dataset');
  }

  const events = new InProcessEventBus({
    onHandlerError: (err, events) => logger.error({ err, events }, 'an event handler failed'),
  });
  if (!config.redisUrl) logger.info('events: in-process bus (no REDIS_URL); single instance');

  const app = await createApp({ config, database, events, logger });
  const url = await app.listen();
  logger.info({ url }, `storefront API ready: Sandbox and GraphQL at ${url}`);
  logger.info(
    { url: url.replace(/^http/, 'ws'), bus: config.redisUrl ? 'redis' : 'in-process' },
    'live updates: GraphQL subscriptions (graphql-transport-ws) on the same URL',
  );

  return {
    url,
    database,
    events,
    logger,
    async stop() {
      await app.stop();
      await events.close();
      await database.close();
      await embedded?.stop();
    },
  };
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
