// The app's routes: parse a URL into a screen name and parameters, and drive the history API.
// Parsing is pure (the service worker and Node tests use it); `startRouter` touches `window` only when called.

/** Message ids: 26 letters and digits (a ULID or 16 random bytes in base32). */
export const MESSAGE_ID = /^[0-9A-Za-z]{26}$/;
/** Keys of shared files waiting in the share cache: 32 hex digits. */
export const SHARE_KEY = /^[0-9a-f]{32}$/;
const ERROR_CODE = /^[a-z0-9][a-z0-9.-]{0,59}$/;
const BASE = 'https://mailseal.invalid';

const STATIC_ROUTES = {
  '/': 'inbox',
  '/inbox': 'inbox',
  '/sign-in': 'sign-in',
  '/settings': 'settings',
  '/settings/add-address': 'add-address',
  '/settings/access-log': 'access-log',
  '/sent': 'sent',
  '/install': 'install',
};

/** Every path the app shell answers, for the server's routes and the service worker. */
export const APP_PATHS = Object.freeze([...Object.keys(STATIC_ROUTES), '/m/{id}', '/m/{id}/reply', '/m/{id}/forward',
  '/m/{id}/attachments/{index}']);
/** The composer's modes: `/m/<id>/reply`, `/m/<id>/reply?all=1`, `/m/<id>/forward`. */
export const COMPOSE_MODES = Object.freeze(['reply', 'reply-all', 'forward']);

function toUrl(input) {
  try {
    return new URL(String(input), BASE);
  } catch {
    return new URL('/', BASE);
  }
}

function trimSlash(pathname) {
  return pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
}

/**
 * @param {string|URL} input a path with optional query ("/m/01J…?x") or a full URL
 * @returns {{name: string, params: Record<string, string>, path: string}}
 */
export function parseRoute(input) {
  const url = toUrl(input);
  const path = trimSlash(url.pathname);
  const query = url.searchParams;
  const name = STATIC_ROUTES[path];
  const route = (n, params = {}) => ({ name: n, params, path: path + url.search });
  if (name === 'inbox') {
    const shared = query.get('shared');
    if (shared !== null) return SHARE_KEY.test(shared) ? route('shared', { key: shared }) : route('share-failed', { code: 'share.missing' });
    const error = query.get('error');
    if (error !== null) return route('share-failed', { code: ERROR_CODE.test(error) ? error : 'server' });
    return route('inbox');
  }
  if (name === 'sign-in') return route('sign-in', { next: safeNext(query.get('next')) });
  if (name) return route(name);
  const message = /^\/m\/([^/]+)$/.exec(path);
  if (message && MESSAGE_ID.test(message[1])) return route('message', { id: message[1] });
  const attachment = /^\/m\/([^/]+)\/attachments\/(0|[1-9][0-9]{0,3})$/.exec(path);
  if (attachment && MESSAGE_ID.test(attachment[1])) return route('attachment', { id: attachment[1], index: attachment[2] });
  const compose = /^\/m\/([^/]+)\/(reply|forward)$/.exec(path);
  if (compose && MESSAGE_ID.test(compose[1])) {
    const mode = compose[2] === 'forward' ? 'forward' : query.get('all') === '1' ? 'reply-all' : 'reply';
    return route('compose', { id: compose[1], mode });
  }
  return route('not-found');
}

/** True for a same-origin path the app shell serves (the service worker answers it from the cache). */
export function isAppPath(pathname) {
  return parseRoute(pathname).name !== 'not-found';
}

/** An internal path to return to after signing in; anything else (other sites, `//host`, junk) becomes '/'. */
export function safeNext(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  const url = toUrl(value);
  if (url.origin !== BASE) return '/';
  const route = parseRoute(url.pathname + url.search);
  return route.name === 'not-found' || route.name === 'sign-in' ? '/' : route.path;
}

export const paths = {
  inbox: () => '/',
  message: (id) => `/m/${encodeURIComponent(id)}`,
  compose: (id, mode = 'reply') =>
    mode === 'forward' ? `/m/${encodeURIComponent(id)}/forward` : `/m/${encodeURIComponent(id)}/reply${mode === 'reply-all' ? '?all=1' : ''}`,
  attachment: (id, index) => `/m/${encodeURIComponent(id)}/attachments/${Number(index)}`,
  signIn: (next) => (next && next !== '/' ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in'),
  settings: () => '/settings',
  addAddress: () => '/settings/add-address',
  accessLog: () => '/settings/access-log',
  sent: () => '/sent',
  install: () => '/install',
};

/**
 * Client-side navigation: same-origin app links and back/forward call `onRoute(route)`; the caller shows
 * the first route itself (`onRoute(router.current())`).
 * @param {(route: ReturnType<typeof parseRoute>) => void} onRoute
 */
export function startRouter(onRoute) {
  const current = () => parseRoute(location.pathname + location.search);
  const navigate = (path, { replace = false } = {}) => {
    const route = parseRoute(path);
    history[replace ? 'replaceState' : 'pushState'](null, '', route.path);
    onRoute(route);
  };
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
    if (!isAppPath(link.pathname)) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  addEventListener('popstate', () => onRoute(current()));
  return { navigate, current };
}
