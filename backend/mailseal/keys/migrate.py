"""Moving a key ring to another kind (`mailseal keys migrate --to passphrase|pkcs11`).

To `passphrase`, the same keys are sealed under the passphrase and the plain file is removed: wrapped
content keys do not change. To `pkcs11`, a key is *generated on the token* and every live content key is
re-wrapped under it in one transaction, then the old ring file is removed: no key on the token was ever
outside it, and a leftover copy of the old ring (a backup, a disk block) opens nothing in the live
database. A move that stopped half-way is resumed by running it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.keys.file_ring import FileKeyRing
from mailseal.keys.passphrase_ring import PassphraseKeyRing
from mailseal.keys.ring import KeyRing, KeyStoreKind
from mailseal.keys.service import KeyService
from mailseal.keys.stores import init_key_ring, read_passphrase, ring_file


async def migrate_key_ring(
    settings: Settings, keys_dir: Path, keys: KeyService, to: KeyStoreKind, *, actor: str,
    environ: Mapping[str, str] | None = None,
) -> tuple[KeyRing, int]:
    """Move the ring of `keys` (the one `key_store` names, opened by the composition root; its owner closes
    it) to `to`; returns the new ring and how many content keys were re-wrapped."""
    source = keys.ring
    if source.kind == to:
        raise ConfigError(f"the key ring is already a {to} ring ({source.location})")
    if not isinstance(source, FileKeyRing) or to == "file":
        raise ConfigError(f"a {source.kind} key ring cannot move to {to}: keys on a token never leave it")
    source_path = ring_file(keys_dir, source.kind)
    if to == "passphrase":
        target: KeyRing = PassphraseKeyRing.create(
            ring_file(keys_dir, to), read_passphrase(settings, environ), keys=source.keys()
        )
        moved = 0
    else:
        target, _ = init_key_ring(settings, keys_dir, to, environ=environ, moving_from=source.kind)
        try:
            moved = await keys.rewrap_all(target, actor=actor)  # one store.transaction()
        except BaseException:
            target.close()
            raise
    source_path.unlink()
    return target, moved
