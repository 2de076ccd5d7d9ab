/**
 * Sandbox shows descriptions to the API's users, so every type, field, argument, enum value and
 * input field must have one; and every contract document must validate against the schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  parse,
  validate,
} from 'graphql';
import { buildStorefrontSchema } from '../../src/modules';
import { QUERIES_DIR } from '../helpers/env';

const schema = buildStorefrontSchema();

function undescribed(): string[] {
  const missing: string[] = [];
  const need = (coordinate: string, description: string | null | undefined) => {
    if (!description || description.trim() === '') missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    need(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        need(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) need(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) need(`${type.name}.${field.name}`, field.description);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) need(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe('the storefront schema', () => {
  it('describes every type, field, argument, input field and enum value', () => {
    expect(undescribed()).toEqual([]);
  });

  it('shows each cache policy in the docs, next to the data', () => {
    const product = schema.getType('Product')!;
    expect(product.description).toMatch(/^A thing for sale\.\n\nServer cache: cached 300 s, shared \(PUBLIC\), served stale up to 60 s more/);
    const orders = schema.getQueryType()!.getFields().me!;
    expect(orders.description).toContain('Server cache: cached 300 s, per user (PRIVATE)');
    expect(schema.getType('PageInfo')!.description).not.toContain('Server cache');
  });

  const queriesDir = QUERIES_DIR;
  const documents = readdirSync(queriesDir).filter((f) => f.endsWith('.graphql'));
  // Subscriptions arrive with the live-updates work; every query and mutation is served now.
  const served = documents.filter((f) => !/^\s*(#.*\n\s*)*subscription\b/.test(readFileSync(path.join(queriesDir, f), 'utf8')));

  it('serves every query and mutation of the workload contract unchanged', () => {
    expect(served.length).toBeGreaterThanOrEqual(6);
    for (const file of served) {
      const errors = validate(schema, parse(readFileSync(path.join(queriesDir, file), 'utf8')));
      expect({ file, errors: errors.map((e) => e.message) }).toEqual({ file, errors: [] });
    }
  });
});
