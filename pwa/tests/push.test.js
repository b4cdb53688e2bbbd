import assert from 'node:assert/strict';
import { test } from 'node:test';

import { base64UrlToBytes, disablePush, enablePush, PushRefused, renewSubscription, syncPush } from '../modules/push.js';

function subscription(endpoint) {
  return {
    endpoint,
    unsubscribed: false,
    toJSON() { return { endpoint, keys: { p256dh: 'p', auth: 'a' } }; },
    async unsubscribe() { this.unsubscribed = true; return true; },
  };
}

function pushManager(existing = null) {
  return {
    current: existing,
    options: null,
    async getSubscription() { return this.current; },
    async subscribe(options) { this.options = options; this.current = subscription('https://push.example/new'); return this.current; },
  };
}

function recordingApi() {
  const sent = [];
  return {
    sent,
    pushKey: async () => ({ publicKey: 'BAEC_-8' }),
    addPushSubscription: async (sub) => { sent.push(['add', sub.endpoint]); },
    removePushSubscription: async (endpoint) => { sent.push(['remove', endpoint]); },
  };
}

function memoryStorage() {
  const map = new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, v), removeItem: (k) => map.delete(k) };
}

test('base64url VAPID keys decode to bytes', () => {
  assert.deepEqual([...base64UrlToBytes('BAEC_-8')], [0x04, 0x01, 0x02, 0xff, 0xef]);
});

test('turning on subscribes with the server key (the browser asks permission) and tells the server', async () => {
  const manager = pushManager();
  const api = recordingApi();
  const storage = memoryStorage();
  await enablePush({ registration: { pushManager: manager }, api, publicKey: 'BAEC_-8', storage });
  assert.equal(manager.options.userVisibleOnly, true);
  assert.deepEqual([...manager.options.applicationServerKey], [0x04, 0x01, 0x02, 0xff, 0xef]);
  assert.deepEqual(api.sent, [['add', 'https://push.example/new']]);
  assert.equal(await syncPush({ registration: { pushManager: manager }, api, storage, permission: 'granted' }), false, 'nothing changed');
});

test('without a prefetched key, the key is asked for first', async () => {
  const manager = pushManager();
  await enablePush({ registration: { pushManager: manager }, api: recordingApi() });
  assert.deepEqual([...manager.options.applicationServerKey], [0x04, 0x01, 0x02, 0xff, 0xef]);
});

test('a refused permission subscribes nothing and says whether it was blocked or dismissed', async () => {
  const refusing = { ...pushManager(), async subscribe() { throw new DOMException('no', 'NotAllowedError'); } };
  const api = recordingApi();
  await assert.rejects(
    enablePush({ registration: { pushManager: refusing }, api, publicKey: 'BAEC_-8', permission: () => 'denied' }),
    (error) => error instanceof PushRefused && error.code === 'push.blocked',
  );
  await assert.rejects(
    enablePush({ registration: { pushManager: refusing }, api, publicKey: 'BAEC_-8', permission: () => 'default' }),
    { code: 'push.dismissed' },
  );
  assert.deepEqual(api.sent, []);
});

test('a subscription under an old server key is replaced', async () => {
  const old = subscription('https://push.example/old-key');
  const manager = pushManager(old);
  let first = true;
  const plain = manager.subscribe.bind(manager);
  manager.subscribe = async (options) => {
    if (first) { first = false; throw new DOMException('other key', 'InvalidStateError'); }
    return plain(options);
  };
  const api = recordingApi();
  const fresh = await enablePush({ registration: { pushManager: manager }, api, publicKey: 'BAEC_-8' });
  assert.ok(old.unsubscribed);
  assert.equal(fresh.endpoint, 'https://push.example/new');
});

test('turning off tells the server and unsubscribes', async () => {
  const existing = subscription('https://push.example/old');
  const api = recordingApi();
  await disablePush({ registration: { pushManager: pushManager(existing) }, api, storage: memoryStorage() });
  assert.deepEqual(api.sent, [['remove', 'https://push.example/old']]);
  assert.ok(existing.unsubscribed);
});

test('at start, a subscription the browser renewed meanwhile is sent once', async () => {
  const manager = pushManager(subscription('https://push.example/renewed'));
  const api = recordingApi();
  const storage = memoryStorage();
  storage.setItem('mailseal.push-endpoint', 'https://push.example/old');
  assert.equal(await syncPush({ registration: { pushManager: manager }, api, storage, permission: 'granted' }), true);
  assert.equal(await syncPush({ registration: { pushManager: manager }, api, storage, permission: 'granted' }), false);
  assert.deepEqual(api.sent, [['add', 'https://push.example/renewed']]);
  assert.equal(await syncPush({ registration: { pushManager: manager }, api, storage, permission: 'default' }), false);
});

test('pushsubscriptionchange: resubscribe when the browser did not, register the new one, drop the old', async () => {
  const manager = pushManager();
  const api = recordingApi();
  const fresh = await renewSubscription({ pushManager: manager, oldSubscription: subscription('https://push.example/old'), newSubscription: null, api });
  assert.equal(fresh.endpoint, 'https://push.example/new');
  assert.deepEqual(api.sent, [['add', 'https://push.example/new'], ['remove', 'https://push.example/old']]);
});
