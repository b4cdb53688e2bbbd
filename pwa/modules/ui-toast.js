// Short confirmations ("Copied.") in one polite live region at the bottom of the screen.

const SHOW_MS = 4000;

/** @param {HTMLElement} element the `[data-testid=toast]` region from index.html */
export function createToast(element) {
  let timer = 0;
  return (message) => {
    clearTimeout(timer);
    element.textContent = message;
    element.hidden = false;
    timer = setTimeout(() => {
      element.hidden = true;
      element.textContent = '';
    }, SHOW_MS);
  };
}
