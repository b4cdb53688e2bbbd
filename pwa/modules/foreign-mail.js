// Mail another system protected (Microsoft 365, S/MIME, OpenPGP): which link the app may offer. Pure.

/** Microsoft 365 Message Encryption's portal hosts (worldwide and national clouds), as the server's list. */
export const MICROSOFT_PORTAL_HOSTS = Object.freeze([
  'outlook.office365.com', 'outlook.office.com', 'outlook.office365.us', 'outlook.office365.de', 'partner.outlook.cn',
]);

/**
 * The portal link to offer, or null: only an https *Read the message* link on Microsoft's own hosts,
 * whatever the server or a mail says (the server checks the same; each layer holds alone).
 * @param {unknown} value
 */
export function microsoftPortalUrl(value) {
  if (typeof value !== 'string' || value.length > 2000) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  if (!MICROSOFT_PORTAL_HOSTS.includes(url.hostname)) return null;
  if (url.pathname.toLowerCase() !== '/encryption/retrieve.ashx') return null;
  return url.href;
}

/** Whether a problem code says the mail was protected by another system. */
export function isForeignCode(code) {
  return typeof code === 'string' && code.startsWith('envelope.foreign-');
}
