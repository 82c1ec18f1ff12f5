import pytest
from django.core.management import CommandError, call_command

from jejak.qrcodes import keys
from jejak.qrcodes.models import SigningKey


def test_rotate_prints_the_new_kid_and_retires_the_old(issued_venue, capsys):
    old = SigningKey.objects.get()
    call_command("keys", "rotate")
    kid = capsys.readouterr().out.strip()
    assert keys.current_key().kid == kid != old.kid
    old.refresh_from_db()
    assert old.retired_at is not None


def test_list_shows_each_key_with_its_active_codes(issued_venue, capsys):
    old_kid = SigningKey.objects.get().kid
    call_command("keys", "rotate")
    new_kid = capsys.readouterr().out.strip()
    call_command("keys", "list")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["kid", "created", "retired"]
    old_line = next(line for line in lines if line.startswith(old_kid))
    new_line = next(line for line in lines if line.startswith(new_kid))
    assert old_line.split()[3] == "2"
    assert new_line.split()[2:] == ["-", "0", "(signing)"]


def test_list_with_no_keys(db, capsys):
    call_command("keys", "list")
    assert capsys.readouterr().out.splitlines()[1:] == []


def test_without_subcommand_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("keys")


def test_unknown_subcommand_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("keys", "destroy")


def test_reencrypt_after_a_data_key_rotation(db, settings, capsys):
    settings.JEJAK_DATA_KEYS = ["first-data-key-with-plenty-of-entropy-123"]
    keys.rotate_key()
    keys.rotate_key()
    settings.JEJAK_DATA_KEYS = [
        "second-data-key-with-plenty-of-entropy-456",
        "first-data-key-with-plenty-of-entropy-123",
    ]
    call_command("keys", "reencrypt")
    assert capsys.readouterr().out.strip() == "2 key(s) re-encrypted."
    call_command("keys", "reencrypt")
    assert capsys.readouterr().out.strip() == "0 key(s) re-encrypted."

    settings.JEJAK_DATA_KEYS = ["second-data-key-with-plenty-of-entropy-456"]
    keys.invalidate_cache()
    key, private = keys.signer()
    assert keys.raw_public_key(private) == bytes(key.public_key)


def test_reencrypt_without_the_old_data_key_fails_cleanly(issued_venue, settings):
    # The key issued by the fixture is under the SECRET_KEY-derived data key.
    settings.JEJAK_DATA_KEYS = ["an-unrelated-data-key-with-plenty-of-entropy"]
    with pytest.raises(CommandError, match="Keep the old data key"):
        call_command("keys", "reencrypt")
