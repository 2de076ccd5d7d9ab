import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * SDL in `schema/` -> typed resolvers in `src/__generated__/`. Each GraphQL object type maps to
 * what its parent resolver really returns (a MikroORM entity, a connection model), so resolver
 * signatures are checked against the ORM. `npm run codegen:check` fails when the output is stale.
 */
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'src/__generated__/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../modules/context#Context',
        scalars: { DateTime: { input: 'Date', output: 'Date | string' }, ID: { input: 'string', output: 'string | number' } },
        mappers: {
          Category: '../modules/models#CategoryModel',
          Product: '../modules/models#ProductModel',
          ProductConnection: '../modules/models#ProductConnectionModel',
          ProductEdge: '../modules/models#ProductEdgeModel',
          Review: '../modules/models#ReviewModel',
          ReviewConnection: '../modules/models#ReviewConnectionModel',
          ReviewEdge: '../modules/models#ReviewEdgeModel',
          User: '../modules/models#UserModel',
          LoginPayload: '../modules/models#LoginPayloadModel',
          Order: '../modules/models#OrderModel',
          OrderItem: '../modules/models#OrderItemModel',
          OrderConnection: '../modules/models#OrderConnectionModel',
          OrderEdge: '../modules/models#OrderEdgeModel',
        },
      },
    },
  },
};

export default config;
