"""The demo's visitors: the made-up residents of the demo registry, one account per family
card (the holder and the family as dependants), verified against that registry, with the
vaccination records that give them their colours.

Rows are bulk-inserted, as `devtools/checkin_bench` does: two thousand sign-ins through
the one-time-code flow would take minutes and show nothing more. What the check-in path
and the pages read is the same either way: encrypted NIKs with their blind index, the
family card's index, health records keyed by the NIK's index.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.core.crypto import encrypt
from jejak.health.models import Source, VaccinationDose
from jejak.identity.port import family_card_index
from jejak.identity.synthetic import ResidentRow
from jejak.people.masking import mask_nik
from jejak.people.models import Person, Relation, new_public_id
from jejak.people.nik import nik_index
from jejak.screening.service import Status, statuses_for_people

ADULT = 18
SCHOOL_AGE = (6, 17)
# (doses, percent of the age group). Under the rule set of 17 July 2022 an adult is green
# with 3 doses, yellow with 2 or 1, red with none; ages 6-17 are green with 2; under 6
# green (not yet eligible). Illustrative shares, not statistics: most adults boosted,
# enough without a booster that yellow and the staff check show on every page.
ADULT_DOSES = ((3, 72), (2, 19), (1, 4), (0, 5))
CHILD_DOSES = ((2, 86), (1, 9), (0, 5))
PRODUCTS = ("CoronaVac", "AstraZeneca", "Pfizer", "Moderna", "Sinopharm")
USERNAME = "warga-{n:04d}"


@dataclass
class Member:
    person: Person
    nik: str
    age: int
    kecamatan: str
    household: int
    status: Status | None = None
    # The person's and account's ids, once saved (read for every scan).
    pk: int = 0
    account_id: int = 0

    @property
    def colour(self) -> str:
        return self.status.colour if self.status else ""


@dataclass
class Household:
    account: User
    kecamatan: str
    members: list[Member] = field(default_factory=list)


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _relation(head: ResidentRow, row: ResidentRow, spouse_taken: bool) -> str:
    years = (row.birth_date - head.birth_date).days / 365.25
    if years >= 15:
        return Relation.CHILD
    if years <= -15:
        return Relation.PARENT
    return Relation.OTHER if spouse_taken else Relation.SPOUSE


def _doses(age: int, rng: random.Random) -> int:
    if age < SCHOOL_AGE[0]:
        return 0
    table = ADULT_DOSES if age >= ADULT else CHILD_DOSES
    return rng.choices([d for d, _ in table], [w for _, w in table])[0]


def build_population(
    rows: Iterable[ResidentRow], *, now: dt.datetime, today: dt.date, seed: int
) -> list[Household]:
    """Accounts, people and vaccination records for the living residents of `rows`, one
    account per family card; each member's colour is screened at `now`."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    families: dict[str, list[ResidentRow]] = {}
    for row in rows:
        if row.died_on is None:
            families.setdefault(row.family_card, []).append(row)
    users = User.objects.bulk_create(
        [
            # "!" is Django's unusable password: visitors sign in with one-time codes only.
            User(
                username=USERNAME.format(n=n),
                role=Role.VISITOR,
                password="!",  # noqa: S106
                first_name=members[0].full_name.title().partition(" ")[0],
            )
            for n, members in enumerate(families.values(), start=1)
        ]
    )
    households: list[Household] = []
    people: list[Person] = []
    doses: list[VaccinationDose] = []
    for n, (card, members) in enumerate(zip(families, families.values(), strict=True)):
        head = members[0]
        household = Household(users[n], head.region_code)
        card_index = family_card_index(card)
        spouse = False
        for k, row in enumerate(members):
            relation = Relation.SELF if k == 0 else _relation(head, row, spouse)
            spouse = spouse or relation == Relation.SPOUSE
            public_id = new_public_id()
            index = nik_index(row.nik)
            person = Person(
                account=users[n],
                relation=relation,
                public_id=public_id,
                nik_index=index,
                nik_encrypted=encrypt(row.nik.encode(), aad=b"people.nik:" + public_id.encode()),
                nik_masked=mask_nik(row.nik),
                # The registry writes names in capitals; people type them as they are.
                full_name=row.full_name.title(),
                birth_date=row.birth_date,
                sex=row.sex,
                created_at=now - dt.timedelta(days=rng.randint(30, 400)),
                identity_verified_at=now - dt.timedelta(days=rng.randint(20, 300)),
                identity_backend="registry_file",
                family_card_index=card_index,
            )
            people.append(person)
            age = _age(row.birth_date, today)
            household.members.append(Member(person, row.nik, age, row.region_code, n))
            product = rng.choice(PRODUCTS)
            first = today - dt.timedelta(days=rng.randint(420, 520))
            gaps = (0, 28, 28 + rng.randint(150, 240))
            doses += [
                VaccinationDose(
                    nik_index=index,
                    dose_number=d,
                    given_on=first + dt.timedelta(days=sum(gaps[:d])),
                    product=product if d < 3 else rng.choice(PRODUCTS),
                    source=Source.CSV,
                )
                for d in range(1, _doses(age, rng) + 1)
            ]
        households.append(household)
    Person.objects.bulk_create(people, batch_size=1000)
    VaccinationDose.objects.bulk_create(doses, batch_size=2000)
    everyone = [m for h in households for m in h.members]
    for m in everyone:
        m.pk, m.account_id = m.person.pk, m.person.account_id
    for member, status in zip(
        everyone, statuses_for_people([m.person for m in everyone], at=now), strict=True
    ):
        member.status = status
    return households
