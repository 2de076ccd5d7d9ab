import { BadUserInputError } from '../../errors';

/** Parses a GraphQL `ID` argument into the integer key the database uses. */
export function parseId(id: string | number, argument = 'id'): number {
  const value = typeof id === 'number' ? id : /^\d{1,10}$/.test(id) ? Number(id) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new BadUserInputError(`"${argument}" must be the id of an existing record (a positive whole number); got "${id}".`, {
      field: argument,
    });
  }
  return value;
}
