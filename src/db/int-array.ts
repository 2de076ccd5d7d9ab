/**
 * A PostgreSQL array literal for a list of ids, bound as ONE parameter (`= any(?::int[])`).
 * The driver layer would otherwise expand an array binding into `?, ?, ?`, giving every batch
 * size its own statement text.
 */
export function intArray(ids: readonly number[]): string {
  for (const id of ids) {
    if (!Number.isSafeInteger(id)) throw new TypeError(`intArray: ${String(id)} is not an integer`);
  }
  return `{${ids.join(',')}}`;
}
