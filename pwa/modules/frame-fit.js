// Fit the message frame to its mail: as tall as the content (nothing scrolls inside the page), and a mail
// wider than the screen scaled down to the screen's width (pinch-zoom reads the details). The frame is
// sandboxed without scripts; it keeps the app's origin only so that this module can read its size.

/**
 * The frame's size and scale for content of `contentWidth`×`contentHeight` CSS px on `available` px. Pure.
 * @returns {{width: number, height: number, scale: number, boxHeight: number}}
 */
export function fitBox({ contentWidth, contentHeight, available }) {
  const room = Math.max(1, Math.floor(available));
  const width = Math.max(room, Math.ceil(contentWidth || 0));
  const height = Math.max(1, Math.ceil(contentHeight || 0));
  const scale = width > room ? room / width : 1;
  return { width, height, scale, boxHeight: Math.ceil(height * scale) };
}

/** The content's size as laid out now, or null when the document cannot be read (then CSS keeps a fixed height). */
function measure(frame) {
  let doc = null;
  try {
    doc = frame.contentDocument;
  } catch {
    return null;
  }
  const root = doc?.documentElement;
  const body = doc?.body;
  if (!root || !body) return null;
  const width = Math.max(root.scrollWidth, body.scrollWidth);
  // Overflow counts the body's left margin and padding but not its right ones: add them, or wide mail
  // touches the right edge.
  const style = width > root.clientWidth ? doc.defaultView?.getComputedStyle(body) : null;
  const right = style ? (parseFloat(style.marginRight) || 0) + (parseFloat(style.paddingRight) || 0) : 0;
  return {
    width: width + right,
    // The root's own box is the content's height even when the frame is taller; scrollHeight adds floats.
    height: Math.max(root.getBoundingClientRect().height, body.scrollHeight),
  };
}

/**
 * Size `frame` (inside `box`) to its document now: first at the box's width, then, for wide mail, at the
 * mail's own width scaled down. Returns the box numbers, or null when it could not measure.
 */
export function fitFrame(frame, box) {
  const available = box.clientWidth;
  if (!available) return null;
  frame.style.width = `${available}px`;
  const first = measure(frame);
  if (!first) return null;
  let fit = fitBox({ contentWidth: first.width, contentHeight: first.height, available });
  if (fit.width > available) {
    frame.style.width = `${fit.width}px`;
    const wide = measure(frame) ?? first;
    fit = fitBox({ contentWidth: Math.max(wide.width, fit.width), contentHeight: wide.height, available });
    frame.style.width = `${fit.width}px`;
  }
  frame.style.height = `${fit.height}px`;
  frame.style.transform = fit.scale < 1 ? `scale(${fit.scale})` : '';
  box.style.height = `${fit.boxHeight}px`;
  box.dataset.scale = fit.scale.toFixed(3);
  box.classList.add('fitted');
  return fit;
}

/** Keep `frame` fitted: on load and whenever the box's width changes (rotation, text size, two panes). */
export function keepFitted(frame, box, signal) {
  let width = 0;
  const refit = () => {
    if (frame.isConnected) fitFrame(frame, box);
  };
  frame.addEventListener('load', () => {
    refit();
    // Late layout (fonts) settles within a frame or two.
    requestAnimationFrame(() => requestAnimationFrame(refit));
  }, { signal });
  if (typeof ResizeObserver === 'function') {
    const observer = new ResizeObserver(() => {
      if (box.clientWidth === width) return;
      width = box.clientWidth;
      refit();
    });
    observer.observe(box);
    signal?.addEventListener('abort', () => observer.disconnect(), { once: true });
  }
}
