import { Router } from 'express';
import type { Orm } from '../db/orm';

/**
 * `/healthz`: the process is alive (for restarts). `/readyz`: the database answers (for load
 * balancers); 503 while it does not, so traffic goes elsewhere without killing the process.
 */
export function healthRoutes(orm: Orm, isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (isShuttingDown()) {
      res.status(503).json({ status: 'shutting-down' });
      return;
    }
    try {
      await orm.em.getConnection().execute('select 1');
      res.json({ status: 'ready', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });
  return router;
}
