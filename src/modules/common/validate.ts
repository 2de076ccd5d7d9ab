/**
 * Input checks shared by the services. Each throws BAD_USER_INPUT naming the field at fault,
 * before anything touches the database.
 */
import { BadUserInputError } from '../../errors';

/** PostgreSQL text cannot hold the NUL character; the driver fails on it, so refuse it here. */
export function requireNoNul(value: string, field: string): string {
  if (value.includes('\u0000')) {
    throw new BadUserInputError(`"${field}" must not contain the NUL character (\\u0000).`, { field });
  }
  return value;
}

export function requireText(value: string, field: string, min: number, max: number): string {
  const text = requireNoNul(value, field).trim();
  if (text.length < min || text.length > max) {
    throw new BadUserInputError(`"${field}" must be ${min} to ${max} characters long.`, { field });
  }
  return text;
}

export function requireInt(value: number, field: string, min: number, max = 2_147_483_647): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === 2_147_483_647 ? `${min} or more` : `from ${min} to ${max}`;
    throw new BadUserInputError(`"${field}" must be a whole number ${range}; got ${value}.`, { field });
  }
  return value;
}

export function requireCurrency(value: string, field = 'currency'): string {
  if (!/^[A-Z]{3}$/.test(value)) {
    throw new BadUserInputError(`"${field}" must be an ISO-4217 code of three capital letters, e.g. USD.`, { field });
  }
  return value;
}
