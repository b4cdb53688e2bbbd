// "You are offline": shown when the browser says so or a request could not reach the server, hidden
// again when the connection comes back or a request gets through. Fixed at the bottom: no layout shift.

/** @param {HTMLElement} element the `[data-testid=offline-banner]` element from index.html */
export function createOfflineBanner(element) {
  const set = (online) => {
    element.hidden = online;
    document.documentElement.classList.toggle('offline', !online);
  };
  addEventListener('online', () => set(true));
  addEventListener('offline', () => set(false));
  set(navigator.onLine !== false);
  return set;
}
