"""The key service: organisation keys, wrapped content keys, the policy decision, unwrap and audit.

This is the only room that unwraps a content key, and it does so only after the policy decision for a
verified identity; every seal, open, refusal, revocation and expiry is written to the audit trail. The
organisation keys are in a key ring of the kind `key_store` names (a file, a passphrase-sealed file, or
a PKCS#11 token), which wraps and unwraps content keys itself.
"""

from mailseal.keys.migrate import migrate_key_ring
from mailseal.keys.policy import Identity
from mailseal.keys.ring import KEY_STORE_KINDS, KeyRing, KeyStoreKind
from mailseal.keys.service import AuditEntry, ContentKey, KeyService, LoadedSeal, SealRecord
from mailseal.keys.stores import check_key_ring, init_key_ring, open_key_ring

__all__ = [
    "KEY_STORE_KINDS",
    "AuditEntry",
    "ContentKey",
    "Identity",
    "KeyRing",
    "KeyService",
    "KeyStoreKind",
    "LoadedSeal",
    "SealRecord",
    "check_key_ring",
    "init_key_ring",
    "migrate_key_ring",
    "open_key_ring",
]
