// A promise shared by every caller asking for the same key, forgotten when it rejects: a failed
// read or setup is tried again by the next caller instead of being remembered.

/** The promise cached under key, or make()'s, cached until it rejects. */
export function memoUntilRejected<K, V>(
  cache: Map<K, Promise<V>>,
  key: K,
  make: () => Promise<V>,
): Promise<V> {
  const hit = cache.get(key);
  if (hit) return hit;
  const p = make();
  cache.set(key, p);
  p.catch(() => {
    // A newer promise may have taken the key meanwhile (the cache was cleared and asked again).
    if (cache.get(key) === p) cache.delete(key);
  });
  return p;
}
