"""Personal data at rest: encrypted with the newest key, readable with any key of the ring,
tamper-evident, bound to its column, found again by its blind index."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.core import crypto
from gridgov.core.crypto import DecryptionError, KeyRing, blind_index, decrypt, encrypt, load_keyring, new_key

OLD = KeyRing(keys=(b"o" * 32,), index_key=b"i" * 32)
ROTATED = KeyRing(keys=(b"n" * 32, b"o" * 32), index_key=b"i" * 32)


def test_a_value_round_trips_and_never_looks_the_same_twice():
    a, b = encrypt("13812345678", ring=OLD), encrypt("13812345678", ring=OLD)
    assert a != b and "13812345678" not in a
    assert decrypt(a, ring=OLD) == decrypt(b, ring=OLD) == "13812345678"


def test_after_rotation_old_values_still_read_and_new_ones_use_the_newest_key():
    old = encrypt("张三", ring=OLD)
    assert decrypt(old, ring=ROTATED) == "张三"
    new = encrypt("张三", ring=ROTATED)
    assert crypto.key_id_of(new) == ROTATED.newest_id != crypto.key_id_of(old)
    with pytest.raises(DecryptionError):
        decrypt(new, ring=OLD)  # the retired ring does not know the new key


def test_a_tampered_or_moved_ciphertext_does_not_decrypt():
    token = encrypt("张三", aad="cases.case.reporter_name", ring=OLD)
    head, body = token.rsplit(":", 1)
    # Flip one bit of a real byte (the middle of the ciphertext): changing a base64 character
    # can touch only padding bits and leave the bytes as they were.
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[len(raw) // 2] ^= 0x01
    flipped = base64.urlsafe_b64encode(bytes(raw)).decode()
    assert flipped != body
    with pytest.raises(DecryptionError):
        decrypt(f"{head}:{flipped}", aad="cases.case.reporter_name", ring=OLD)
    with pytest.raises(DecryptionError):
        decrypt(token, aad="cases.case.reporter_phone", ring=OLD)
    with pytest.raises(DecryptionError):
        decrypt("plain text", ring=OLD)


def test_the_blind_index_is_keyed_and_separates_purposes():
    assert blind_index("13812345678", purpose="p", ring=OLD) == blind_index(
        "13812345678", purpose="p", ring=ROTATED
    )
    assert blind_index("13812345678", purpose="p", ring=OLD) != blind_index(
        "13812345678", purpose="q", ring=OLD
    )
    other = KeyRing(keys=(b"o" * 32,), index_key=b"x" * 32)
    assert blind_index("13812345678", purpose="p", ring=OLD) != blind_index(
        "13812345678", purpose="p", ring=other
    )


def test_keys_come_from_the_environment_newest_first():
    a, b = new_key(), new_key()
    ring = load_keyring({"GRIDGOV_PII_KEYS": f"{a}, {b}"}, production=True)
    assert len(ring.keys) == 2 and ring.newest_id == crypto._key_id(crypto._decode_key(a, "t"))
    with_index = load_keyring({"GRIDGOV_PII_KEYS": a, "GRIDGOV_PII_INDEX_KEY": b}, production=True)
    assert with_index.index_key == crypto._decode_key(b, "t")
    assert ring.index_key != with_index.index_key  # derived from the newest key when not given


def test_production_refuses_to_start_without_keys_and_bad_keys_are_named():
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_PII_KEYS"):
        load_keyring({}, production=True)
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        load_keyring({"GRIDGOV_PII_KEYS": "c2hvcnQ="}, production=True)


def test_a_local_install_generates_a_private_key_file_once(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = load_keyring({}, production=False)
    path = tmp_path / crypto.KEY_FILE_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_keyring({}, production=False) == first
