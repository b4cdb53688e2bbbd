"""The key service: organisation keys, wrapped content keys, the policy decision, unwrap and audit.

This is the only room that unwraps a content key, and it does so only after the policy decision for a
verified identity; every seal, open, refusal, revocation and expiry is written to the audit trail.
"""

from mailseal.keys.policy import Identity
from mailseal.keys.ring import KeyRing
from mailseal.keys.service import AuditEntry, ContentKey, KeyService, LoadedSeal, SealRecord

__all__ = ["AuditEntry", "ContentKey", "Identity", "KeyRing", "KeyService", "LoadedSeal", "SealRecord"]
