"""Encryption and blind indexes for a whole batch at once, byte for byte what
`EncryptedTextField` would store for each value (gridgov.core.crypto), only cheaper per value:
one AESGCM object per key instead of one per value, nonces cut from one random read, and the
HMAC's keyed state computed once and copied per value.

A bulk writer that skipped the field's own path must still produce values the field reads back
(same prefix, key id, associated data), so the tests decrypt what this module wrote through
the model.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import models
from django.utils.module_loading import import_string

from gridgov.core import crypto

_URLSAFE = bytes.maketrans(b"+/", b"-_")


class FieldSealer:
    """Seals values for one EncryptedTextField: `seal(values)` gives the stored ciphertexts,
    `index(values)` the blind indexes of their normal forms ("" for an empty value, as the
    field does)."""

    def __init__(self, model: type[models.Model], field_name: str, *, ring: crypto.KeyRing | None = None):
        field = model._meta.get_field(field_name)
        if not isinstance(field, crypto.EncryptedTextField):
            raise TypeError(f"{model.__name__}.{field_name} is not an EncryptedTextField")
        self.field = field
        self.ring = ring or crypto.keyring()
        self.aad = field.aad.encode()
        self._aead = AESGCM(self.ring.keys[0])
        self._head = f"{crypto.PREFIX}:{self.ring.newest_id}:"
        # HMAC-SHA256 by hand (RFC 2104) so each value costs two hash copies and no Python-level
        # HMAC object; tests compare it with the field's own index_for.
        key = self.ring.index_key
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        self._purpose = f"{field.aad}\x00".encode()
        self._normal: Callable[[str], str] = (
            import_string(field.normalizer) if field.normalizer else str.strip
        )

    def seal(self, values: Sequence[str]) -> list[str]:
        n = crypto.NONCE_BYTES
        nonces = os.urandom(n * len(values))
        encrypt, aad, head = self._aead.encrypt, self.aad, self._head
        # base64.urlsafe_b64encode in its two C calls, without its two Python-level wrappers.
        b64, urlsafe = binascii.b2a_base64, _URLSAFE
        out: list[str] = []
        for i, value in enumerate(values):
            if not value:
                out.append(value)
                continue
            nonce = nonces[i * n : (i + 1) * n]
            out.append(
                head
                + b64(nonce + encrypt(nonce, value.encode(), aad), newline=False).translate(urlsafe).decode()
            )
        return out

    def index_normal(self, normals: Sequence[str]) -> list[str]:
        """Blind indexes of values already in normal form."""
        out: list[str] = []
        inner, outer, purpose = self._inner, self._outer, self._purpose
        for value in normals:
            if not value:
                out.append("")
                continue
            i = inner.copy()
            i.update(purpose + value.encode())
            o = outer.copy()
            o.update(i.digest())
            out.append(o.hexdigest())
        return out

    def index(self, values: Sequence[str]) -> list[str]:
        normal = self._normal
        return self.index_normal([normal(v or "") for v in values])


class Opener:
    """Decrypts many tokens of one field: one AESGCM per key of the ring, built once."""

    def __init__(self, model: type[models.Model], field_name: str, *, ring: crypto.KeyRing | None = None):
        field = model._meta.get_field(field_name)
        if not isinstance(field, crypto.EncryptedTextField):
            raise TypeError(f"{model.__name__}.{field_name} is not an EncryptedTextField")
        self.ring = ring or crypto.keyring()
        self.aad = field.aad
        self._aead = {kid: AESGCM(key) for kid, key in self.ring.by_id().items()}

    def open(self, token: str | None) -> str:
        if not token:
            return ""
        parts = token.split(":", 2)
        aead = self._aead.get(parts[1]) if len(parts) == 3 and parts[0] == crypto.PREFIX else None
        if aead is None:
            # Not ours to judge here: the field's own path raises the precise error.
            return crypto.decrypt(token, aad=self.aad, ring=self.ring)
        blob = base64.urlsafe_b64decode(parts[2])
        n = crypto.NONCE_BYTES
        return aead.decrypt(blob[:n], blob[n:], self.aad.encode()).decode()
