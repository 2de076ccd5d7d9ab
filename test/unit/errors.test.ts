import { GraphQLError } from 'graphql';
import { createFormatError, NotFoundError } from '../../src/errors';

describe('formatError', () => {
  const internal = new GraphQLError('relation "secret_table" does not exist');
  const formattedInternal = { message: internal.message, path: ['product'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at db.ts:1'] } };

  it('masks unknown errors in production and reports them', () => {
    const seen: unknown[] = [];
    const format = createFormatError({ onInternalError: (e) => seen.push(e) });
    const result = format(formattedInternal, internal);
    expect(result.message).not.toContain('secret_table');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(result.path).toEqual(['product']);
    expect(seen).toEqual([internal]);
  });

  it("gives a masked error the request's id, in the message, the extensions and the log call", () => {
    const logged: [unknown, string | undefined][] = [];
    const format = createFormatError({ requestId: () => 'req-7', onInternalError: (e, id) => logged.push([e, id]) });
    const result = format(formattedInternal, internal);
    expect(result.message).toContain('req-7');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-7' });
    expect(logged).toEqual([[internal, 'req-7']]);
  });

  it('passes known codes through without stack traces in production', () => {
    const error = new NotFoundError('Product', '9');
    const format = createFormatError();
    const result = format({ message: error.message, extensions: { ...error.extensions, stacktrace: ['x'] } }, error);
    expect(result).toEqual({ message: 'No Product has the id "9".', extensions: { code: 'NOT_FOUND', type: 'Product', id: '9' } });
  });

  it('keeps details in development', () => {
    const format = createFormatError({ exposeInternals: true });
    expect(format(formattedInternal, internal).message).toContain('secret_table');
  });
});
