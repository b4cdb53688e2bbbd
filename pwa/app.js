// Mailseal's app shell: wires the API client, the router and the screens, the offline banner, the
// service worker and the install prompt. Each screen lives in its own module under /modules/.

import { createApi } from './modules/api.js';
import { h, skeleton } from './modules/dom.js';
import { LANGUAGE_CACHE, LANGUAGE_ENTRY, language, laterWords, locale, onLanguageChange, startI18n, t, translatePage } from './modules/i18n.js';
import { CLIENT_CODES } from './modules/problems.js';
import { paths, startRouter } from './modules/router.js';
import { updateAppBar } from './modules/ui-app-bar.js';
import { renderErrorScreen } from './modules/ui-error-screen.js';
import { renderInbox } from './modules/ui-inbox.js';
import { renderMessage, startBodyFrame } from './modules/ui-message.js';
import { createOfflineBanner } from './modules/ui-offline-banner.js';
import { createToast } from './modules/ui-toast.js';

const PUBLIC_ROUTES = new Set(['sign-in', 'install', 'not-found', 'share-failed']);
const TITLES = {
  inbox: 'title.inbox',
  message: 'title.message',
  compose: 'title.compose',
  attachment: 'title.attachment',
  'sign-in': 'title.sign-in',
  settings: 'title.settings',
  'add-address': 'title.add-address',
  install: 'title.install',
  shared: 'title.shared',
  'share-failed': 'title.share-failed',
  'not-found': 'title.not-found',
  'access-log': 'accesslog.mine-title',
  sent: 'accesslog.sent-title',
};
/**
 * A screen whose module loads on first use (from the worker's cache when installed), so reading a message
 * evaluates only what reading needs. A skeleton holds its place meanwhile.
 */
function later(load, name, options) {
  return (ctx) => {
    const slot = h('div', { class: 'screen', 'aria-busy': 'true' }, skeleton(4));
    Promise.all([load(), laterStyles(), laterWords()]).then(([module]) => {
      if (ctx.signal.aborted) return;
      slot.replaceWith(module[name](ctx, options));
      focusHeading(main);
    }).catch((error) => {
      if (!ctx.signal.aborted) slot.replaceWith(renderErrorScreen(ctx, error?.code ? error : { code: 'network' }, { retry: () => show(ctx.route) }));
    });
    return slot;
  };
}

/*
 * The sign-in screen too: whoever signs in waits for a mail anyway, and whoever is signed in never needs
 * it. A device never signed in starts loading it alongside /api/me (see show).
 */
const signIn = () => import('./modules/ui-sign-in.js');
const SIGNED_IN_HERE = 'mailseal.signed-in-here';

let screensSheet = null;
/** The styles of the screens that load on first use (screens.css), linked once, before the first of them shows. */
function laterStyles() {
  screensSheet ??= new Promise((resolve) => {
    const link = h('link', { rel: 'stylesheet', href: '/screens.css' });
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve); // unstyled beats nothing
    document.head.append(link);
  });
  return screensSheet;
}

const SCREENS = {
  inbox: renderInbox,
  message: renderMessage,
  compose: later(() => import('./modules/ui-composer.js'), 'renderComposer'),
  attachment: later(() => import('./modules/ui-attachment-viewer.js'), 'renderAttachmentViewer'),
  'sign-in': later(signIn, 'renderSignIn', { mode: 'sign-in' }),
  'add-address': later(signIn, 'renderSignIn', { mode: 'add' }),
  settings: later(() => import('./modules/ui-settings.js'), 'renderSettings'),
  'access-log': later(() => import('./modules/ui-access-log.js'), 'renderAccessLogScreen'),
  sent: later(() => import('./modules/ui-access-log.js'), 'renderSentScreen'),
  install: later(() => import('./modules/ui-install.js'), 'renderInstall'),
  shared: later(() => import('./modules/ui-shared-file.js'), 'renderSharedFile'),
  'share-failed': later(() => import('./modules/ui-shared-file.js'), 'renderShareFailed'),
  'not-found': (ctx) => renderErrorScreen(ctx, { code: CLIENT_CODES.pageNotFound }),
};

/** localStorage that never throws (private modes, storage turned off): the app then just forgets. */
const storage = {
  getItem: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
  setItem: (key, value) => { try { localStorage.setItem(key, value); } catch { /* forget */ } },
  removeItem: (key) => { try { localStorage.removeItem(key); } catch { /* forget */ } },
};

const linkedTo = /^#to=(.+)/.exec(location.hash); // whom a wrapper link's message is for
if (linkedTo) storage.setItem('mailseal.address-hint', decodeURIComponent(linkedTo[1]));
/** Offline reading's modules: only where it is on (Settings). */
// Its marks and notes speak the later screens' words: those load with it, before it draws anything.
const offline = (use) => storage.getItem('mailseal.offline')
  && Promise.all([import('./modules/offline-keep.js'), wordsStarted.then(laterWords)]).then(([m]) => use(m)).catch(() => null);

const main = document.getElementById('main');
const setOnline = createOfflineBanner(document.querySelector('[data-testid=offline-banner]'));
const toast = createToast(document.querySelector('[data-testid=toast]'));
let installPrompt = null;
let current = null;
let rendered = 0;

/** `me` is undefined until asked, null when signed out. Decrypted summaries stay in memory only. */
const session = {
  me: undefined,
  inbox: null,
  prefetched: null,
  /** The last few message views (headers, rights, attachment list; never a body), for the attachment screen. */
  views: new Map(),
  /** The message view (and body frame) fetched alongside `/api/me` on a cold start: one round trip, not three. */
  takePrefetched(id) {
    const early = session.prefetched;
    session.prefetched = null;
    if (early && early.id === id) return early;
    early?.frame?.remove();
    return null;
  },
  setMe(me) {
    session.me = me;
    if (me) syncPushLater();
    if (me) storage.setItem(SIGNED_IN_HERE, '1');
  },
};

let pushSynced = false;
/** Tell the server about a push subscription the browser renewed while the app was closed. */
function syncPushLater() {
  if (pushSynced || !('serviceWorker' in navigator) || !('Notification' in globalThis)) return;
  pushSynced = true;
  navigator.serviceWorker.getRegistration()
    .then(async (registration) => {
      if (!registration) return;
      const { syncPush } = await import('./modules/push.js');
      await syncPush({ registration, api, storage, permission: Notification.permission });
    })
    .catch(() => { pushSynced = false; });
}

const api = createApi({
  language,
  onConnectivity: setOnline,
  onAuthRequired: () => {
    if (!session.me) return;
    session.me = null;
    session.inbox = null;
    session.views.clear();
    for (const id of [...kept.keys()]) dropKept(id);
    const route = router.current();
    if (route && !PUBLIC_ROUTES.has(route.name)) router.navigate(paths.signIn(route.path), { replace: true });
  },
});

async function loadMe(signal) {
  try {
    session.setMe(await api.me({ signal }));
  } catch (error) {
    if (error?.code === 'auth.required') session.me = null;
    // Offline: stay undefined and let the screen show its own offline state.
  }
}

function focusHeading(root) {
  if (rendered > 1) root.querySelector('h1')?.focus({ preventScroll: true });
}

async function show(route) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  document.body.classList.remove('no-print', 'no-copy');
  if (session.me === undefined && route.name !== 'install') {
    main.replaceChildren(h('div', { class: 'screen', 'aria-busy': 'true' }, skeleton(4)));
    if (!storage.getItem(SIGNED_IN_HERE)) signIn().catch(() => null); // a new device signs in first: fetch it meanwhile
    if (route.name === 'message') {
      const promise = api.message(route.params.id);
      promise.catch(() => null); // signed out: the sign-in screen follows, and the screen asks again
      session.prefetched = { id: route.params.id, promise, frame: startBodyFrame(route.params.id) };
    }
    await loadMe(controller.signal);
    if (!session.me) session.takePrefetched(null); // asked while signed out: the answers are 401s
    if (controller.signal.aborted) return;
  }
  if (!PUBLIC_ROUTES.has(route.name) && session.me === null) {
    router.navigate(paths.signIn(route.path), { replace: true });
    return;
  }
  if (route.name === 'sign-in' && session.me) {
    router.navigate(route.params.next ?? paths.inbox(), { replace: true });
    return;
  }
  const ctx = {
    api,
    route,
    session,
    storage,
    locale: locale(),
    signal: controller.signal,
    caches: globalThis.caches ?? null,
    navigate: (path, options) => router.navigate(path, options),
    toast,
    focusHeading,
    installPrompt: () => installPrompt,
    clearInstallPrompt: () => { installPrompt = null; },
    signedOut: () => {
      session.me = null;
      session.views.clear();
      for (const id of [...kept.keys()]) dropKept(id);
      offline((m) => m.forgetDevice(storage));
      session.inbox = null;
      navigator.clearAppBadge?.().catch?.(() => null);
      router.navigate(paths.signIn(), { replace: true });
    },
  };
  const paned = Boolean(WIDE?.matches && PANE_ROUTES.has(route.name) && session.me);
  keepLeavingMessages();
  const screen = paned && route.name === 'inbox'
    ? h('p', { class: 'pane-empty help', 'data-testid': 'reading-pane-empty' }, t('app.choose-message'))
    : route.name === 'message' ? messageScreen(ctx) : SCREENS[route.name](ctx);
  rendered += 1;
  const shown = placeScreen(route, screen, ctx, paned);
  document.title = t('app.title', { screen: t(TITLES[route.name]) });
  updateAppBar(route, Boolean(session.me));
  if (rendered > 1) scrollTo(0, 0);
  focusHeading(shown);
}

/*
 * Two panes from 768 px (tablets, desktops): the inbox stays on the left, with its own lifetime, while
 * the reading pane on the right changes with the route.
 */
const WIDE = globalThis.matchMedia?.('(min-width: 48rem)');
const PANE_ROUTES = new Set(['inbox', 'message']);
let inboxPane = null;

/** Put `screen` into `parent` (emptied): a kept message screen is moved, so its frame stays loaded. */
function putScreen(parent, screen) {
  if (screen.isConnected && typeof parent.moveBefore === 'function') {
    parent.moveBefore(screen, null);
    for (const child of [...parent.childNodes]) if (child !== screen) child.remove();
  } else {
    parent.replaceChildren(screen);
  }
}

/*
 * Message screens already read are kept (hidden, the last few) while the person looks at the inbox or
 * another message, and come back as they were: no second request for the view or the body. Only where
 * `moveBefore` keeps a frame loaded when it moves; each kept screen lives until it is dropped.
 */
const KEPT_MESSAGES = 3;
const KEPT_FOR_MS = 5 * 60 * 1000; // after that a message is asked for again (it may have been withdrawn)
const kept = new Map();
const keptHolder = h('div', { hidden: true, 'data-testid': 'kept-screens' });
document.body.append(keptHolder);

function messageScreen(ctx) {
  const { id } = ctx.route.params;
  if (typeof Element.prototype.moveBefore !== 'function') return renderMessage(ctx);
  let entry = kept.get(id);
  if (entry && (entry.element.querySelector('[data-testid=error-screen]') || Date.now() - entry.at > KEPT_FOR_MS)) {
    dropKept(id);
    entry = null;
  }
  if (!entry) {
    const controller = new AbortController();
    entry = { controller, at: Date.now(), element: renderMessage({ ...ctx, signal: controller.signal }) };
  }
  kept.delete(id);
  kept.set(id, entry);
  while (kept.size > KEPT_MESSAGES) dropKept(kept.keys().next().value);
  const article = entry.element.querySelector('[data-testid=message]');
  if (article?.dataset.restrictions) document.body.classList.add(...article.dataset.restrictions.split(' '));
  return entry.element;
}

function dropKept(id) {
  const entry = kept.get(id);
  kept.delete(id);
  entry?.controller.abort();
  entry?.element.remove();
}

/** Before a navigation: move kept message screens out of the page into the hidden holder (still loaded). */
function keepLeavingMessages() {
  for (const { element } of kept.values()) {
    if (element.isConnected && element.parentNode !== keptHolder) keptHolder.moveBefore(element, null);
  }
}

function placeScreen(route, screen, ctx, paned) {
  document.body.classList.toggle('two-panes', paned);
  if (!paned) {
    inboxPane?.controller.abort();
    inboxPane = null;
    putScreen(main, screen);
    return main;
  }
  if (!inboxPane) {
    const controller = new AbortController();
    const element = renderInbox({ ...ctx, route: { name: 'inbox', params: {}, path: '/' }, signal: controller.signal });
    inboxPane = { controller, element };
  }
  const reading = h('div', { class: 'reading-pane', 'data-testid': 'reading-pane' });
  main.replaceChildren(h('div', { class: 'inbox-pane', 'data-testid': 'inbox-pane' }, inboxPane.element), reading);
  putScreen(reading, screen);
  for (const link of inboxPane.element.querySelectorAll('[data-testid=inbox-item]')) {
    if (link.dataset.id === route.params.id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  return reading;
}

addEventListener('beforeinstallprompt', (event) => {
  installPrompt = event;
});

const router = startRouter(show);
/** The page's own words (index.html) and the screen, in the language now chosen. */
function showInLanguage() {
  translatePage();
  show(router.current());
  // For the service worker's notifications, which cannot read localStorage.
  globalThis.caches?.open(LANGUAGE_CACHE).then((cache) => cache.put(LANGUAGE_ENTRY, new Response(language()))).catch(() => null);
}
// The catalogue first (from the worker's cache when installed), and where offline reading is on, its
// listeners, before the first screen asks for anything; the screen follows a change of language.
const wordsStarted = startI18n().catch(() => null); // the chosen language, before any later words load
Promise.all([wordsStarted, offline((m) => m.startKeeping(api, storage, { toast }))]).then(showInLanguage);
onLanguageChange(showInLanguage);
WIDE?.addEventListener?.('change', () => show(router.current()));

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.addEventListener('message', (event) => {
    const data = event.data ?? {};
    if (data.type === 'open' && typeof data.url === 'string') router.navigate(data.url);
    if (data.type === 'push') dispatchEvent(new Event('mailseal:new-message'));
  });
  addEventListener('load', () => {
    // A module worker, checked past the HTTP cache (its imports too); browsers without module workers
    // keep working online, without the offline shell.
    navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/', updateViaCache: 'none' }).catch(() => null);
  });
}
