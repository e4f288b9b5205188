"""Personal data at rest: authenticated encryption, key rotation and a blind index.

Keys
- GRIDGOV_PII_KEYS: comma-separated keys (32 random bytes, URL-safe base64), newest first.
  Values are encrypted with the newest; any key of the ring decrypts. Rotation: put a new key
  in front, restart, run `gridgov core rotate-pii-keys`, then drop the old key.
- GRIDGOV_PII_INDEX_KEY (optional, recommended): the key of the blind index. Without it the
  index key is derived (HKDF-SHA256) from the ring's newest key, which ties the index to the
  ring: `rotate-pii-keys` then recomputes every index as well.
- Without GRIDGOV_PII_KEYS a local install generates both keys once into
  VAR_DIR/pii_keys.json (mode 0600). Production (GRIDGOV_ENV=production) refuses to start
  without GRIDGOV_PII_KEYS: a key file lying beside the database protects nothing.

Ciphertext: "gg1:<key id>:<base64(nonce ‖ AES-256-GCM ciphertext and tag)>". The key id is a
short MAC of the key, so the right key is found without trying them all. The field's name is
the associated data: a ciphertext copied into another column or table does not decrypt.

Blind index: HMAC-SHA256(index key, purpose ‖ normal form of the value), hex. It finds an exact
value (a phone number) without decrypting anything and without storing the value in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.module_loading import import_string

PREFIX = "gg1"
KEY_BYTES = 32
NONCE_BYTES = 12
ENV_KEYS = "GRIDGOV_PII_KEYS"
ENV_INDEX_KEY = "GRIDGOV_PII_INDEX_KEY"
KEY_FILE_NAME = "pii_keys.json"


class DecryptionError(Exception):
    """A ciphertext no key of the ring opens: tampered, cut, or encrypted under a retired key."""


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(text: str, source: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{source}: a key is not URL-safe base64") from exc
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{source}: a key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _key_id(key: bytes) -> str:
    return hmac.new(key, b"gridgov-pii-key-id", hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[bytes, ...]  # newest first
    index_key: bytes

    def __post_init__(self) -> None:
        if not self.keys:
            raise ImproperlyConfigured("the PII key ring is empty")

    @property
    def newest_id(self) -> str:
        return _key_id(self.keys[0])

    def by_id(self) -> dict[str, bytes]:
        return {_key_id(k): k for k in self.keys}


def _derived_index_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"gridgov blind index").derive(
        key
    )


def _key_file_ring() -> KeyRing:
    path = settings.VAR_DIR / KEY_FILE_NAME
    if not path.exists():
        data = {"keys": [new_key()], "index_key": new_key()}
        # Created with 0600 from the start: never a moment when another user could read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
    data = json.loads(path.read_text())
    keys = tuple(_decode_key(k, str(path)) for k in data["keys"])
    index = data.get("index_key")
    return KeyRing(keys, _decode_key(index, str(path)) if index else _derived_index_key(keys[0]))


def load_keyring(environ: dict[str, str] | None = None, *, production: bool | None = None) -> KeyRing:
    env = os.environ if environ is None else environ
    production = settings.PRODUCTION if production is None else production
    text = env.get(ENV_KEYS, "").strip()
    if not text:
        if production:
            raise ImproperlyConfigured(
                f"{ENV_KEYS} must be set when GRIDGOV_ENV=production "
                "(generate a key with `gridgov core new-pii-key`)"
            )
        return _key_file_ring()
    keys = tuple(_decode_key(k, ENV_KEYS) for k in text.split(",") if k.strip())
    index_text = env.get(ENV_INDEX_KEY, "").strip()
    index = _decode_key(index_text, ENV_INDEX_KEY) if index_text else _derived_index_key(keys[0])
    return KeyRing(keys, index)


_lock = threading.Lock()
_ring: KeyRing | None = None


def keyring() -> KeyRing:
    global _ring
    with _lock:
        if _ring is None:
            _ring = load_keyring()
        return _ring


def keyring_reset(ring: KeyRing | None = None) -> None:
    """Forget the cached ring (tests, or after the environment changed); or install one."""
    global _ring
    with _lock:
        _ring = ring


def encrypt(plaintext: str, *, aad: str = "", ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.keys[0]).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{PREFIX}:{ring.newest_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str | None:
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def decrypt(token: str, *, aad: str = "", ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not a gridgov ciphertext")
    key = ring.by_id().get(parts[1])
    if key is None:
        raise DecryptionError(f"no key with id {parts[1]} in the ring (retired too early?)")
    try:
        blob = base64.urlsafe_b64decode(parts[2])
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc


def blind_index(value: str, *, purpose: str, ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    return hmac.new(ring.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


# --- the model field -------------------------------------------------------------------------


class EncryptedTextField(models.TextField):
    """Text stored encrypted; the attribute holds the plain text.

    With index_field (and a normalizer, a dotted path), saving also writes the blind index of
    the normal form into that field, which must be declared after this one. Search with
    `Model.objects.filter(<index_field>=field.index_for(value))`; an exact filter on the
    encrypted column itself never matches (each encryption is different).
    """

    def __init__(
        self, *args: Any, index_field: str | None = None, normalizer: str | None = None, **kwargs: Any
    ) -> None:
        self.index_field = index_field
        self.normalizer = normalizer
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.index_field:
            kwargs["index_field"] = self.index_field
        if self.normalizer:
            kwargs["normalizer"] = self.normalizer
        return name, path, args, kwargs

    @property
    def aad(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def normal(self, value: str) -> str:
        fn: Callable[[str], str] = import_string(self.normalizer) if self.normalizer else str.strip
        return fn(value)

    def index_for(self, value: str) -> str:
        normal = self.normal(value or "")
        return blind_index(normal, purpose=self.aad) if normal else ""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value, aad=self.aad)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, aad=self.aad)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if self.index_field:
            setattr(model_instance, self.index_field, self.index_for(value or ""))
        return value


def encrypted_fields(models_: Iterable[type[models.Model]] | None = None) -> list[EncryptedTextField]:
    from django.apps import apps

    found = []
    for model in models_ if models_ is not None else apps.get_models():
        found += [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
    return found


def pii_rotate(*, batch_size: int = 500, reindex: bool = False) -> dict[str, int]:
    """Re-encrypt under the newest key every value encrypted under an older one (and, with
    reindex, recompute every blind index: needed when the index key changed). Returns the rows
    rewritten per field. Safe to interrupt and run again."""
    ring = keyring()
    done: dict[str, int] = {}
    for field in encrypted_fields():
        model = field.model
        raw = model._default_manager.annotate(_raw=Cast(field.name, models.TextField()))
        pks = list(raw.exclude(**{f"{field.name}__isnull": True}).order_by("pk").values_list("pk", "_raw"))
        stale = [pk for pk, token in pks if token and (reindex or key_id_of(token) != ring.newest_id)]
        for i in range(0, len(stale), batch_size):
            with transaction.atomic():
                for obj in model._default_manager.select_for_update().filter(
                    pk__in=stale[i : i + batch_size]
                ):
                    value = getattr(obj, field.attname)
                    changes = {field.name: value}
                    if field.index_field:
                        changes[field.index_field] = field.index_for(value or "")
                    model._default_manager.filter(pk=obj.pk).update(**changes)
        done[field.aad] = len(stale)
    return done
