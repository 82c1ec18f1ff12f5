"""A data-key rotation: new key first, `jejak reencrypt`, then the old key can go."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from jejak.accounts.models import User
from jejak.core import crypto
from jejak.core.crypto import decrypt
from jejak.core.phone import open_phone
from jejak.identity.models import Resident, nik_aad
from jejak.identity.tests.factories import register_resident
from jejak.people import service as people
from jejak.people.tests.factories import BUDI
from jejak.qrcodes import keys

OLD, NEW = "old-data-key-0123456789abcdef", "new-data-key-0123456789abcdef"


@pytest.fixture
def stored_secrets(settings, make_user, city):
    settings.JEJAK_DATA_KEYS = [OLD]
    from jejak.core.phone import mask_phone, phone_index, seal_phone

    index = phone_index("+6281234567890")
    visitor = make_user("visitor")
    User.objects.filter(pk=visitor.pk).update(
        phone_index=index,
        phone_encrypted=seal_phone("+6281234567890", index=index),
        phone_masked=mask_phone("+6281234567890"),
    )
    register_resident(**BUDI)  # the registry verifies the NIK it is given
    person = people.set_own_profile(
        account=visitor, **{k: v for k, v in BUDI.items() if k != "relation"}
    )
    keys.create_key()
    return visitor, person


def test_rotation_moves_every_secret_to_the_new_key(settings, stored_secrets):
    visitor, person = stored_secrets
    settings.JEJAK_DATA_KEYS = [NEW, OLD]
    call_command("reencrypt")
    settings.JEJAK_DATA_KEYS = [NEW]  # the old key is gone
    person.refresh_from_db()
    visitor.refresh_from_db()
    assert people.decrypt_nik(person) == BUDI["nik"]
    assert open_phone(index=visitor.phone_index, blob=visitor.phone_encrypted) == "+6281234567890"
    keys.invalidate_cache()
    assert keys.signer()[1] is not None
    assert not crypto.needs_reencryption(person.nik_encrypted)
    resident = Resident.objects.get(nik_index=person.nik_index)
    assert decrypt(resident.nik_encrypted, aad=nik_aad(resident.nik_index)) == BUDI["nik"].encode()


def test_a_person_erased_under_a_hold_is_passed_over(settings, stored_secrets):
    # An account closed while a case still holds its person: the NIK's ciphertext is
    # gone (erasure/service.py), its blind index stays; rotation has nothing to move.
    from jejak.people.models import Person

    _visitor, person = stored_secrets
    Person.objects.filter(pk=person.pk).update(nik_encrypted=b"", full_name="")
    settings.JEJAK_DATA_KEYS = [NEW, OLD]
    call_command("reencrypt")
    person.refresh_from_db()
    assert bytes(person.nik_encrypted) == b""


def test_dropping_the_old_key_too_early_is_refused(settings, stored_secrets):
    settings.JEJAK_DATA_KEYS = [NEW]
    with pytest.raises(CommandError, match="Keep every old key"):
        call_command("reencrypt")


def test_rotation_reaches_roster_entries_and_message_addresses(settings, make_user, city):
    from jejak.core.phone import phone_index
    from jejak.notifications.addresses import address_aad, address_index, open_address
    from jejak.notifications.models import Message
    from jejak.rosters.models import RosterEntry
    from jejak.rosters.service import _aad as roster_aad
    from jejak.venues.tests.factories import VenueFactory

    settings.JEJAK_DATA_KEYS = [OLD]
    number = "+6281234567890"
    visitor = make_user("visitor")
    venue = VenueFactory(region=city)
    phone_key = phone_index(number)
    RosterEntry.objects.create(
        venue=venue,
        phone_index=phone_key,
        phone_encrypted=crypto.encrypt(number.encode(), aad=roster_aad("phone", phone_key)),
        role="Kasir",
        valid_from=dt.date(2026, 1, 1),
    )
    index = address_index("sms", number)
    message = Message.objects.create(
        to_user=visitor,
        channel="sms",
        template="t",
        body="b",
        address_index=index,
        address_encrypted=crypto.encrypt(number.encode(), aad=address_aad("sms", index)),
    )

    settings.JEJAK_DATA_KEYS = [NEW, OLD]
    call_command("reencrypt")
    settings.JEJAK_DATA_KEYS = [NEW]  # the old key is gone
    message.refresh_from_db()
    assert open_address(message) == number
    entry = RosterEntry.objects.get()
    assert entry.phone_index == phone_index(number)
    opened = decrypt(entry.phone_encrypted, aad=roster_aad("phone", entry.phone_index))
    assert opened.decode() == number
