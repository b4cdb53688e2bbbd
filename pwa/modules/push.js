// Web Push subscriptions: turn notifications on and off, and keep the server's copy of the subscription
// current. The browser objects (registration, storage) are passed in.

const ENDPOINT_KEY = 'mailseal.push-endpoint';

/** A VAPID public key (base64url) as the bytes `pushManager.subscribe` wants. */
export function base64UrlToBytes(value) {
  const base64 = String(value).replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export class PushRefused extends Error {
  constructor(permission) {
    super(`notification permission: ${permission}`);
    this.code = permission === 'denied' ? 'push.blocked' : 'push.dismissed';
  }
}

function subscribeWith(pushManager, publicKey) {
  return pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(publicKey) });
}

async function subscribe(pushManager, api) {
  const { publicKey } = await api.pushKey();
  return subscribeWith(pushManager, publicKey);
}

/**
 * After the person taps the switch. `subscribe` itself asks for permission, and is called before any other
 * await so iOS still sees the tap (fetch the server key beforehand: `publicKey`). Resolves to the subscription.
 */
export async function enablePush({ registration, api, publicKey, storage, permission = () => Notification.permission }) {
  const { pushManager } = registration;
  let subscription;
  try {
    subscription = await subscribeWith(pushManager, publicKey ?? (await api.pushKey()).publicKey);
  } catch (error) {
    if (error?.name === 'NotAllowedError') throw new PushRefused(permission());
    if (error?.name !== 'InvalidStateError') throw error;
    // Subscribed under an older server key: drop that subscription and subscribe again.
    await (await pushManager.getSubscription())?.unsubscribe();
    subscription = await subscribe(pushManager, api);
  }
  await api.addPushSubscription(subscription.toJSON());
  storage?.setItem(ENDPOINT_KEY, subscription.endpoint);
  return subscription;
}

export async function disablePush({ registration, api, storage }) {
  const subscription = await registration.pushManager.getSubscription();
  storage?.removeItem(ENDPOINT_KEY);
  if (!subscription) return;
  await api.removePushSubscription(subscription.endpoint).catch((error) => {
    if (error?.code !== 'not-found') throw error;
  });
  await subscription.unsubscribe();
}

/**
 * At start: when the browser renewed the subscription while the app was closed (the service worker cannot
 * always tell the server, having no CSRF token), send the new one. Costs nothing when nothing changed.
 */
export async function syncPush({ registration, api, storage, permission }) {
  if (permission !== 'granted' || !registration?.pushManager) return false;
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription || storage.getItem(ENDPOINT_KEY) === subscription.endpoint) return false;
  await api.addPushSubscription(subscription.toJSON());
  storage.setItem(ENDPOINT_KEY, subscription.endpoint);
  return true;
}

/** The service worker's `pushsubscriptionchange`: subscribe again if the browser did not, then tell the server. */
export async function renewSubscription({ pushManager, oldSubscription, newSubscription, api }) {
  const fresh = newSubscription ?? (await subscribe(pushManager, api));
  await api.addPushSubscription(fresh.toJSON());
  if (oldSubscription && oldSubscription.endpoint !== fresh.endpoint) {
    await api.removePushSubscription(oldSubscription.endpoint).catch(() => null);
  }
  return fresh;
}
