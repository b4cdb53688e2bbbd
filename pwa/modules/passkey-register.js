// Adding a passkey: registration options fetched ahead (each once: a new ceremony needs new ones), and the
// ceremony itself, started straight from a tap (iOS refuses it otherwise), then sent to the server.

import { credentialToJSON, creationOptions } from './webauthn-json.js';

export const passkeysAvailable = () => Boolean(globalThis.PublicKeyCredential && navigator.credentials?.create);

/** Registration options for this session (a fresh challenge). Throws `auth.passkeys-off` where there are none. */
export const registrationOptions = (ctx) => ctx.api.call('POST', '/api/passkeys/options', { signal: ctx.signal });

/** Call from the tap, with options fetched before it: creates the passkey, then stores it on the server. */
export async function addPasskey(ctx, options) {
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  return ctx.api.call('POST', '/api/passkeys', { json: { credential: credentialToJSON(credential) }, signal: ctx.signal });
}
