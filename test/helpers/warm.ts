import type { TestInstance } from './server';
import { until } from './until';

/**
 * Sends `document` to each instance until each answers it from its cache (no SQL): a state to
 * start from, reached however long the instance takes to fill.
 */
export async function warm(instances: readonly TestInstance[], document: string, variables: Record<string, unknown>, token?: string): Promise<void> {
  for (const instance of instances) {
    await until(async () => {
      const { body } = await instance.request(document, variables, { token });
      if (body.errors) throw new Error(`warming failed: ${JSON.stringify(body.errors)}`);
      await instance.app.cacheLayer.cache!.settled();
      return (await instance.countSql(() => instance.request(document, variables, { token }))) === 0;
    });
  }
}
