/**
 * The audit log: one JSON line per security-relevant event, on a pino destination of its own
 * (`AUDIT_LOG`: stdout, stderr, a file, or off), every line marked `"log":"audit"` so it can be
 * split from the application log when both share stdout.
 *
 * Events: `sign-in`, `sign-in-failed`, `sign-out` (noted by the resolvers), and `mutation` for
 * every mutation that got as far as naming its operation: who (user id, address), what
 * (operation name, root fields), which entities its writes touched (from the domain events the
 * write recorded in the outbox), and how it ended (`ok`, or `error` with the error codes).
 * Lines never hold a password, a token, a cookie or variables: only ids and names.
 */
import pino, { type Logger } from 'pino';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { currentRequestScope, type RequestScope } from '../cache/request-scope';
import type { DomainEvent } from '../events/domain-events';
import type { RecordedWrite } from '../events/outbox';
import type { Context } from '../modules/context';

export type AuditLog = Logger;

/** `stdout`, `stderr`, `off` (undefined), or a file path appended to (created with its folders). */
export function createAuditLog(destination: string): AuditLog | undefined {
  if (destination === 'off') return undefined;
  const dest =
    destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination;
  return pino(
    {
      base: { log: 'audit', service: 'storefront-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Nothing secret is ever passed; this is a second lock.
      redact: { paths: ['password', 'token', 'cookie', 'authorization', '*.password', '*.token'], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous: an audit line must not be lost with a crash, and there are few of them.
    pino.destination({ dest, sync: true, mkdir: typeof dest === 'string' }),
  );
}

/** The entities a domain event names, as `Type:id`. A session is named without its id (a token's hash). */
export function entitiesOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProductCreated':
      return [`Product:${event.productId}`, `Category:${event.categoryId}`];
    case 'ProductUpdated':
      return [`Product:${event.productId}`, ...event.categoryIds.map((id) => `Category:${id}`)];
    case 'ProductDeleted':
      return [`Product:${event.productId}`, `Category:${event.categoryId}`];
    case 'ReviewAdded':
      return [`Review:${event.reviewId}`, `Product:${event.productId}`];
    case 'OrderPlaced':
      return [`Order:${event.orderId}`, ...event.productIds.map((id) => `Product:${id}`)];
    case 'OrderStatusChanged':
      return [`Order:${event.orderId}`];
    case 'SessionEnded':
      return ['Session'];
  }
}

/** What each request's writes touched, by request. */
const touched = new WeakMap<RequestScope, { entities: Set<string>; purge: boolean }>();

/** Records a write of the current request (called once its outbox rows are published). */
export function auditWrite(write: RecordedWrite): void {
  const scope = currentRequestScope();
  if (!scope) return;
  const record = touched.get(scope) ?? { entities: new Set<string>(), purge: false };
  for (const event of write.events) for (const entity of entitiesOf(event)) record.entities.add(entity);
  if (write.plan.purge) record.purge = true;
  touched.set(scope, record);
}

export function auditPlugin(audit: AuditLog): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, operationName, contextValue, response }) {
          const requestId = currentRequestScope()?.id;
          const address = contextValue.transport?.address;
          let userId = contextValue.viewer?.userId ?? null;
          for (const note of contextValue.auditNotes ?? []) {
            if (note.event === 'sign-in') userId = note.userId;
            audit.info({ ...note, address, requestId });
          }
          if (operation?.operation !== 'mutation') return;
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          const codes = [...new Set((errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          const scope = currentRequestScope();
          const writes = scope ? touched.get(scope) : undefined;
          audit.info({
            event: 'mutation',
            userId,
            address,
            requestId,
            operationName: operationName ?? operation.name?.value ?? null,
            fields: operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : [])),
            entities: [...(writes?.entities ?? [])],
            ...(writes?.purge ? { purge: true } : {}),
            outcome: codes.length === 0 ? 'ok' : 'error',
            ...(codes.length === 0 ? {} : { errorCodes: codes }),
          });
        },
      };
    },
  };
}
