// A small in-memory CacheStorage (the browser's Cache API), so cache logic runs under `node --test`.

// Keyed by path and query: everything the app caches is same-origin, as in a service worker's scope.
const keyOf = (request) => {
  const url = new URL(typeof request === 'string' ? request : request.url, 'https://mailseal.test');
  return url.pathname + url.search;
};

class FakeCache {
  entries = new Map();

  async put(request, response) {
    const body = await response.arrayBuffer();
    this.entries.set(keyOf(request), { body, status: response.status, headers: [...response.headers] });
  }

  async match(request, { ignoreSearch = false } = {}) {
    let key = keyOf(request);
    if (ignoreSearch) key = key.split('?')[0];
    const entry = this.entries.get(key);
    return entry ? new Response(entry.body.slice(0), { status: entry.status, headers: entry.headers }) : undefined;
  }

  async delete(request) {
    return this.entries.delete(keyOf(request));
  }

  async keys() {
    return [...this.entries.keys()].map((path) => new Request(new URL(path, 'https://mailseal.test')));
  }
}

export class FakeCacheStorage {
  caches = new Map();

  async open(name) {
    if (!this.caches.has(name)) this.caches.set(name, new FakeCache());
    return this.caches.get(name);
  }

  async keys() {
    return [...this.caches.keys()];
  }

  async delete(name) {
    return this.caches.delete(name);
  }

  async has(name) {
    return this.caches.has(name);
  }

  /** Like CacheStorage.match: the first cache, in creation order, that holds the request. */
  async match(request, options) {
    for (const cache of this.caches.values()) {
      const found = await cache.match(request, options);
      if (found) return found;
    }
    return undefined;
  }
}
