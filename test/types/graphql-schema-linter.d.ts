// graphql-schema-linter ships no types; these cover what test/unit/relay-schema.test.ts uses.
declare module 'graphql-schema-linter' {
  import type { GraphQLError, ValidationContext, ASTVisitor } from 'graphql';

  export type Rule = ((context: ValidationContext) => ASTVisitor) & { name: string };

  export interface LintError extends GraphQLError {
    ruleName: string;
  }

  export interface InputSchema {
    definition: string;
    sourceMap: unknown;
  }

  export const configuration: {
    Configuration: new (
      schema: InputSchema,
      options?: { rules?: string[] },
    ) => {
      getRules(): Rule[];
      getAllBuiltInRules(): Rule[];
    };
  };

  export const validator: {
    validateSchemaDefinition(schema: InputSchema, rules: Rule[], configuration: unknown): LintError[];
  };
}

declare module 'graphql-schema-linter/lib/schema.js' {
  import type { InputSchema } from 'graphql-schema-linter';

  export function loadSchema(options: { schemaPaths: string[] }): Promise<InputSchema | null>;
}
