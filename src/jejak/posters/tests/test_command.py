from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jejak.posters.tests.conftest import issued, pdf_pages
from jejak.sectors.models import Sector
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory


@pytest.fixture
def school(other_city: Any) -> Venue:
    """A school in Kota Tangerang Selatan with four entrances and issued codes."""
    return issued(
        VenueFactory(
            region=other_city.children.first(),
            sector=Sector.objects.get(slug="sekolah"),
            entrances=["Gerbang 1", "Gerbang 2", "Gerbang 3", "Gerbang 4"],
        )
    )


def run(*args: str, out: Path) -> tuple[int, str]:
    """Run `jejak posters`; return the PDF's page count and what was printed."""
    from io import StringIO

    stdout = StringIO()
    call_command("posters", *args, "--out", str(out), "--processes", "1", stdout=stdout)
    return len(pdf_pages(out.read_bytes())), stdout.getvalue()


@pytest.mark.parametrize(
    ("args", "pages"),
    [
        (["--venue", "HTL-CISADANE"], 2),
        (["--sector", "hotel"], 2),
        (["--sector", "sekolah"], 4),
        (["--region", "36.71"], 2),
        (["--region", "36"], 6),  # the province holds both cities
        (["--all"], 6),
    ],
)
def test_selectors_pick_their_venues(
    hotel: Venue, school: Venue, tmp_path: Path, args: list[str], pages: int
) -> None:
    count, printed = run(*args, out=tmp_path / "posters.pdf")

    assert count == pages
    assert f"{pages} pages" in printed
    assert " s" in printed  # the time taken


def test_sector_includes_its_subsectors(hotel: Venue, tmp_path: Path) -> None:
    parent = Sector.objects.create(slug="akomodasi", name_id="Akomodasi", name_en="Lodging")
    Sector.objects.filter(slug="hotel").update(parent=parent)

    assert run("--sector", "akomodasi", out=tmp_path / "p.pdf")[0] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--venue", "NOPE"], "Unknown venue 'NOPE'"),
        (["--sector", "nope"], "Unknown sector 'nope'"),
        (["--region", "99"], "Unknown region '99'"),
        (["--sector", "toko"], "No active QR codes for sector toko"),
        (["--region", "36.74"], "No active QR codes for region 36.74"),
    ],
)
def test_selection_without_codes_fails_and_writes_nothing(
    hotel: Venue, other_city: Any, tmp_path: Path, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args, out=tmp_path / "posters.pdf")

    assert list(tmp_path.iterdir()) == []


def test_venue_not_yet_issued_fails(city: Any, tmp_path: Path) -> None:
    VenueFactory(short_code="BARU-01", region=city)

    with pytest.raises(CommandError, match=r"No active QR codes for venue BARU-01 \(registered\)"):
        run("--venue", "BARU-01", out=tmp_path / "posters.pdf")


def test_exactly_one_selector(hotel: Venue, tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        run("--venue", "HTL-CISADANE", "--all", out=tmp_path / "posters.pdf")
    with pytest.raises(CommandError):
        run(out=tmp_path / "posters.pdf")


def test_failure_while_rendering_leaves_no_file(
    hotel: Venue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr("jejak.posters.management.commands.posters.render_posters", broken)

    with pytest.raises(RuntimeError):
        run("--all", out=tmp_path / "posters.pdf")
    assert list(tmp_path.iterdir()) == []


def test_bench_prints_rate_and_keeps_nothing(hotel: Venue) -> None:
    from io import StringIO

    stdout = StringIO()
    call_command("bench_posters", "--count", "3", "--processes", "1", stdout=stdout)

    assert "3 pages (synthetic codes" in stdout.getvalue()
    assert "pages/s" in stdout.getvalue()
    assert Venue.objects.count() == 1


def test_the_codes_open_the_public_address(school: Venue, tmp_path: Path) -> None:
    _pages, said = run("--venue", school.short_code, out=tmp_path / "p.pdf")
    assert "opening https://jejak.example.go.id" in said


@pytest.mark.parametrize(
    ("base_url", "allowed"),
    [
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8123", False),
        ("http://[::1]:8000", False),
        ("http://192.168.1.20:8000", True),
        ("https://jejak.kotatangerang.go.id", True),
    ],
)
def test_a_loopback_address_is_refused_unless_asked_for(
    school: Venue, tmp_path: Path, base_url: str, allowed: bool
) -> None:
    out = tmp_path / "p.pdf"
    if allowed:
        run("--venue", school.short_code, "--base-url", base_url, out=out)
        return
    with pytest.raises(CommandError, match="phone cannot open it"):
        run("--venue", school.short_code, "--base-url", base_url, out=out)
    assert not out.exists()
    run("--venue", school.short_code, "--base-url", base_url, "--allow-loopback", out=out)
    assert out.exists()


def test_without_any_address_the_command_says_what_to_set(
    school: Venue, tmp_path: Path, settings: Any
) -> None:
    settings.JEJAK_PUBLIC_URL = ""
    with pytest.raises(CommandError, match="set JEJAK_PUBLIC_URL or give --base-url"):
        call_command("posters", "--venue", school.short_code, "--out", str(tmp_path / "p.pdf"))
