// Pull down at the top of the page to refresh (the standalone app has no browser reload gesture).
// Moves only a transform on the indicator (no layout shift); the refresh button does the same for
// people who cannot or do not pull.

const THRESHOLD = 72;

/**
 * @param {HTMLElement} indicator shown while pulling; gets the classes `pulling` and `ready`
 * @param {() => Promise<unknown>} onRefresh
 * @param {AbortSignal} signal removes the listeners
 */
export function attachPullToRefresh(indicator, onRefresh, signal) {
  let startY = null;
  let distance = 0;
  const reset = () => {
    startY = null;
    distance = 0;
    indicator.classList.remove('pulling', 'ready');
    indicator.style.removeProperty('--pull');
  };
  const options = { passive: true, signal };
  addEventListener('touchstart', (event) => {
    startY = scrollY <= 0 && event.touches.length === 1 ? event.touches[0].clientY : null;
  }, options);
  addEventListener('touchmove', (event) => {
    if (startY === null) return;
    distance = Math.max(0, event.touches[0].clientY - startY);
    if (distance === 0 || scrollY > 0) return;
    indicator.classList.add('pulling');
    indicator.classList.toggle('ready', distance >= THRESHOLD);
    indicator.style.setProperty('--pull', `${Math.min(distance, THRESHOLD * 1.5) / 2}px`);
  }, options);
  addEventListener('touchend', () => {
    const go = distance >= THRESHOLD;
    reset();
    if (go) onRefresh();
  }, options);
  addEventListener('touchcancel', reset, options);
}
