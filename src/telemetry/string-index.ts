/**
 * The index of `value` in `values`, appended at the end when it is not there yet; `index` maps
 * each value held to its index. One way of numbering distinct strings for the scan's key texts,
 * packed rows and invocation columns.
 */
export function indexOrAdd<T>(values: T[], index: Map<T, number>, value: T): number {
  let at = index.get(value);
  if (at === undefined) {
    at = values.length;
    values.push(value);
    index.set(value, at);
  }
  return at;
}
