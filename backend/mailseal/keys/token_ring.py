"""The `pkcs11` key ring: organisation keys held on a PKCS#11 token (an HSM; SoftHSM2 in tests).

Each key is an AES-256 secret key generated on the token (sensitive, never extractable, private), with
the label `mailseal:<key id>`. The token itself encrypts and decrypts a content key with CKM_AES_GCM,
bound to the message id and key id exactly as `wrap.py` binds them, so a wrapped key has the same layout
(nonce ‖ ciphertext ‖ tag) in every kind and the organisation key never enters this process.
`keys/ring-pkcs11.json` only names the token, so that another kind never starts by mistake.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol, cast

import msgspec
import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.mechanisms import GCMParams

from mailseal.errors import ConfigError, DamagedEnvelope, KeyStoreError, UnknownKey
from mailseal.keys.file_ring import write_private_file
from mailseal.keys.ring import KeyStoreKind, key_number, new_key_id
from mailseal.keys.wrap import NONCE_SIZE, wrap_aad


class TokenKey(Protocol):
    """What Mailseal uses of an AES key object on the token. python-pkcs11's stubs type a found or
    generated key as a plain `SecretKey`/`Object`; at run time an AES key carries these methods."""

    def __getitem__(self, attribute: Attribute) -> Any: ...

    def encrypt(self, data: bytes, *, mechanism: Mechanism, mechanism_param: GCMParams) -> bytes: ...

    def decrypt(self, data: bytes, *, mechanism: Mechanism, mechanism_param: GCMParams) -> bytes: ...

LABEL_PREFIX = "mailseal:"
POINTER_VERSION = 1
TAG_BITS = 128

# What the token's key may do: encrypt and decrypt content keys, nothing else, and never leave it.
KEY_TEMPLATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.ENCRYPT: True,
    Attribute.DECRYPT: True,
    Attribute.WRAP: False,
    Attribute.UNWRAP: False,
    Attribute.SIGN: False,
    Attribute.VERIFY: False,
    Attribute.DERIVE: False,
}

# Errors with which a token says that a ciphertext does not authenticate (SoftHSM2 says GeneralError).
_NOT_AUTHENTIC = (pkcs11.exceptions.EncryptedDataInvalid, pkcs11.exceptions.EncryptedDataLenRange,
                  pkcs11.exceptions.DataLenRange, pkcs11.exceptions.GeneralError)


class TokenPointer(msgspec.Struct, frozen=True):
    """The contents of keys/ring-pkcs11.json: which token holds the ring (no key, no PIN)."""

    version: int
    token_label: str


def read_pointer(path: Path) -> TokenPointer:
    try:
        pointer = msgspec.json.decode(path.read_bytes(), type=TokenPointer)
    except FileNotFoundError as exc:
        raise ConfigError(f"no key ring at {path}: run `mailseal keys init --store pkcs11`") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path} is not a PKCS#11 key ring pointer") from exc
    if pointer.version != POINTER_VERSION:
        raise ConfigError(f"{path}: unsupported version")
    return pointer


def write_pointer(path: Path, token_label: str) -> None:
    pointer = TokenPointer(version=POINTER_VERSION, token_label=token_label)
    write_private_file(path, msgspec.json.format(msgspec.json.encode(pointer), indent=2))


class TokenKeyRing:
    """Keys by id on one token, used through one logged-in session (serialised: a session is not shared)."""

    kind: KeyStoreKind = "pkcs11"

    def __init__(self, session: pkcs11.Session, *, module: str, token_label: str) -> None:
        self._session = session
        self._module = module
        self._token_label = token_label
        self._lock = threading.Lock()
        self._keys: dict[str, TokenKey] = {}
        for key in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}):
            label = str(key[Attribute.LABEL])
            if label.startswith(LABEL_PREFIX):
                self._keys[label.removeprefix(LABEL_PREFIX)] = cast(TokenKey, key)

    @classmethod
    def open(cls, *, module: str, token_label: str, pin: str) -> TokenKeyRing:
        """Log in to the token; every failure is one `KeyStoreError` that says what to fix."""
        where = f"token {token_label!r} through {module}"
        try:
            library = pkcs11.lib(module)
        except (OSError, RuntimeError, pkcs11.PKCS11Error) as exc:
            raise KeyStoreError(f"the PKCS#11 module {module} cannot be loaded ({exc or type(exc).__name__})") from None
        try:
            token = library.get_token(token_label=token_label)
        except pkcs11.NoSuchToken:
            raise KeyStoreError(f"no {where}: check pkcs11_token_label and the token") from None
        except pkcs11.PKCS11Error as exc:
            raise KeyStoreError(f"the {where} cannot be used ({type(exc).__name__})") from None
        if Mechanism.AES_GCM not in token.slot.get_mechanisms():
            raise KeyStoreError(f"the {where} does not offer CKM_AES_GCM, which Mailseal needs")
        try:
            session = token.open(user_pin=pin, rw=True)
        except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
            raise KeyStoreError(f"the {where} refused the PIN from pkcs11_pin_file") from None
        except pkcs11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot log in to the {where} ({type(exc).__name__})") from None
        return cls(session, module=module, token_label=token_label)

    @property
    def location(self) -> str:
        return f"token {self._token_label!r} ({self._module})"

    @property
    def ids(self) -> list[str]:
        return sorted(self._keys, key=key_number)

    def current_id(self) -> str:
        if not self._keys:
            raise KeyStoreError(f"no Mailseal key on the {self.location}: run `mailseal keys init --store pkcs11`")
        return self.ids[-1]

    def rotate(self) -> str:
        """Generate a new key on the token; it is current from now on."""
        key_id = new_key_id(max(map(key_number, self._keys), default=0) + 1)  # ids carry a random part too
        with self._lock:
            self._keys[key_id] = cast(TokenKey, self._session.generate_key(
                KeyType.AES, 256, id=key_id.encode(), label=LABEL_PREFIX + key_id, store=True, template=KEY_TEMPLATE
            ))
        return key_id

    def key_object(self, key_id: str) -> TokenKey:
        """The token's handle of a key (attributes only: its value never leaves the token). A key made since
        this session began (`mailseal keys rotate` in another process) is looked up on the token."""
        key = self._keys.get(key_id)
        if key is None:
            with self._lock:
                found = list(self._session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY,
                                                        Attribute.LABEL: LABEL_PREFIX + key_id}))
            if len(found) != 1:
                raise UnknownKey()
            key = self._keys[key_id] = cast(TokenKey, found[0])
        return key

    def wrap(self, content_key: bytes, *, message_id: str, key_id: str) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        params = GCMParams(nonce, wrap_aad(message_id, key_id), TAG_BITS)
        with self._lock:
            sealed = self.key_object(key_id).encrypt(content_key, mechanism=Mechanism.AES_GCM, mechanism_param=params)
        return nonce + bytes(sealed)

    def unwrap(self, wrapped: bytes, *, message_id: str, key_id: str) -> bytes:
        key = self.key_object(key_id)
        if len(wrapped) <= NONCE_SIZE + TAG_BITS // 8:
            raise DamagedEnvelope()
        params = GCMParams(wrapped[:NONCE_SIZE], wrap_aad(message_id, key_id), TAG_BITS)
        try:
            with self._lock:
                return bytes(key.decrypt(wrapped[NONCE_SIZE:], mechanism=Mechanism.AES_GCM, mechanism_param=params))
        except _NOT_AUTHENTIC as exc:
            raise DamagedEnvelope() from exc

    def close(self) -> None:
        with self._lock:
            self._session.close()
