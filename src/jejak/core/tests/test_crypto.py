import pytest

from jejak.core import crypto


def test_round_trip_with_context():
    blob = crypto.encrypt(b"3671012345678901", aad=b"visitor:1:nik")
    assert b"3671012345678901" not in blob
    assert crypto.decrypt(blob, aad=b"visitor:1:nik") == b"3671012345678901"


def test_each_encryption_uses_a_fresh_nonce():
    assert crypto.encrypt(b"same") != crypto.encrypt(b"same")


def test_other_context_does_not_decrypt():
    blob = crypto.encrypt(b"secret", aad=b"row:1")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob, aad=b"row:2")


def test_tampered_blob_is_refused():
    blob = bytearray(crypto.encrypt(b"secret"))
    blob[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(blob))


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02" + bytes(40), bytes(40)])
def test_garbage_is_refused(blob):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob)


def test_rotation_old_key_still_decrypts_new_key_encrypts(settings):
    settings.JEJAK_DATA_KEYS = ["old-key-with-plenty-of-entropy-1234567890"]
    old_blob = crypto.encrypt(b"secret")
    settings.JEJAK_DATA_KEYS = [
        "new-key-with-plenty-of-entropy-0987654321",
        "old-key-with-plenty-of-entropy-1234567890",
    ]
    assert crypto.decrypt(old_blob) == b"secret"
    assert crypto.needs_reencryption(old_blob)
    new_blob = crypto.encrypt(b"secret")
    assert not crypto.needs_reencryption(new_blob)

    settings.JEJAK_DATA_KEYS = ["new-key-with-plenty-of-entropy-0987654321"]
    assert crypto.decrypt(new_blob) == b"secret"
    with pytest.raises(crypto.DecryptionError, match="not configured"):
        crypto.decrypt(old_blob)


def test_without_data_keys_the_key_comes_from_secret_key(settings):
    settings.JEJAK_DATA_KEYS = []
    blob = crypto.encrypt(b"secret")
    assert crypto.decrypt(blob) == b"secret"
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob)
