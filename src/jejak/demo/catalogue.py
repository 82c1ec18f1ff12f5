"""The Kota Tangerang demo as data: agencies, venues per sector, staff accounts.

Issued codes per sector add up to the founding article's table (339 in all). Venue
names are illustrative; the counts, the city hall's four entrances and the kecamatan are
from the article and Kemendagri.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The article's table: issued QR codes per sector, Kota Tangerang, 28 October 2021.
ARTICLE_TABLE: dict[str, int] = {
    "kantor-pemerintahan": 99,
    "sarana-olahraga": 35,
    "sekolah": 127,
    "tempat-wisata": 16,
    "rumah-sakit": 1,
    "puskesmas": 22,
    "pusat-perbelanjaan": 7,
    "toko": 2,
    "apartemen": 1,
    "hotel": 21,
    "rumah-makan": 2,
    "terminal": 6,
}

AGENCIES: list[tuple[str, str, list[str]]] = [
    ("Dinas Komunikasi dan Informatika", "Diskominfo", []),
    ("Sekretariat Daerah", "Setda", ["kantor-pemerintahan"]),
    (
        "Dinas Kebudayaan dan Pariwisata",
        "Disbudpar",
        ["hotel", "rumah-makan", "tempat-wisata"],
    ),
    ("Dinas Pendidikan", "Dindik", ["sekolah"]),
    ("Dinas Kesehatan", "Dinkes", ["rumah-sakit", "puskesmas"]),
    ("Dinas Perhubungan", "Dishub", ["terminal"]),
    (
        "Dinas Perindustrian, Perdagangan, Koperasi dan UKM",
        "Disperindagkop",
        ["toko", "pusat-perbelanjaan"],
    ),
    ("Dinas Pemuda dan Olahraga", "Dispora", ["sarana-olahraga"]),
    ("Dinas Perumahan, Permukiman dan Pertanahan", "Disperkimtan", ["apartemen"]),
]

KECAMATAN = [f"36.71.{n:02d}" for n in range(1, 14)]


@dataclass
class DemoVenue:
    short_code: str
    name: str
    sector: str
    entrances: list[str]
    capacity: int
    region: str = "36.71.01"
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    # Where the demo leaves it: issued or installed count in the article's table.
    status: str = "installed"
    coordinator: tuple[str, str] = ("", "")
    extra: dict[str, str] = field(default_factory=dict)


# Default stay per sector, in minutes (restaurants: the Level 2 60-minute dine-in rule).
DEFAULT_STAY = {
    "rumah-makan": 60,
    "pusat-perbelanjaan": 180,
    "toko": 60,
    "kantor-pemerintahan": 600,
    "sekolah": 480,
    "hotel": 1440,
    "apartemen": 1440,
    "rumah-sakit": 240,
    "puskesmas": 120,
    "terminal": 60,
    "tempat-wisata": 180,
    "sarana-olahraga": 120,
}

FOUR_DOORS = ["Pintu Utara", "Pintu Selatan", "Pintu Timur", "Pintu Barat"]
TWO_DOORS = ["Pintu Utama", "Pintu Samping"]

# The named venues of the story and a few landmarks with more than one entrance.
NAMED: list[DemoVenue] = [
    DemoVenue(
        "PUSPEM-TNG",
        "Pusat Pemerintahan Kota Tangerang",
        "kantor-pemerintahan",
        FOUR_DOORS,
        3000,
        "36.71.01",
        "Jl. Satria - Sudirman No. 1, Sukaasih",
        -6.1783,
        106.6319,
        coordinator=("Mulyani", "Kepala Dinas Kominfo"),
    ),
    DemoVenue(
        "GEDUNG-CISADANE",
        "Gedung Cisadane",
        "kantor-pemerintahan",
        TWO_DOORS,
        800,
        "36.71.01",
        "Jl. Satria - Sudirman, Sukaasih",
        -6.1790,
        106.6330,
        status="issued",
    ),
    DemoVenue("RSUD-TNG", "RSUD Kota Tangerang", "rumah-sakit", ["Pintu IGD"], 600, "36.71.12"),
    DemoVenue(
        "MALL-TCITY",
        "Tangerang City Mall",
        "pusat-perbelanjaan",
        FOUR_DOORS,
        8000,
        "36.71.01",
        "Jl. Jend. Sudirman No. 7",
        -6.1942,
        106.6346,
    ),
    DemoVenue(
        "MALL-CILEDUG",
        "Mal Ciledug",
        "pusat-perbelanjaan",
        ["Lobi Utama", "Lobi Parkir", "Pintu Timur"],
        5000,
        "36.71.06",
        status="issued",
    ),
    DemoVenue(
        "TERM-PORIS",
        "Terminal Poris Plawad",
        "terminal",
        ["Pintu Kedatangan", "Pintu Keberangkatan", "Pintu Samping"],
        2000,
        "36.71.03",
    ),
    DemoVenue(
        "STADION-BENTENG", "Stadion Benteng", "sarana-olahraga", FOUR_DOORS, 15000, "36.71.01"
    ),
]

# Templates for the rest of each sector: (short code prefix, name pattern, entrances, capacity).
GENERATED: dict[str, tuple[str, str, int]] = {
    "kantor-pemerintahan": ("KANTOR", "Kantor Pemerintahan {n}", 150),
    "sarana-olahraga": ("OR", "Gelanggang Olahraga {n}", 400),
    "sekolah": ("SEKOLAH", "Sekolah Negeri {n}", 700),
    "tempat-wisata": ("WISATA", "Taman Kota {n}", 1000),
    "puskesmas": ("PKM", "Puskesmas {n}", 120),
    "toko": ("TOKO", "Toko Swalayan {n}", 80),
    "apartemen": ("APT", "Apartemen {n}", 900),
    "hotel": ("HOTEL", "Hotel {n}", 250),
    "rumah-makan": ("RM", "Rumah Makan {n}", 60),
    "terminal": ("TERM", "Terminal {n}", 500),
}

# A few requests still in the queue, and one rejected: none of them counts as issued.
PENDING: list[DemoVenue] = [
    DemoVenue(
        "RM-SATE-BENDA",
        "Rumah Makan Sate Benda",
        "rumah-makan",
        ["Pintu Utama"],
        40,
        "36.71.04",
        status="requested",
    ),
    DemoVenue(
        "HOTEL-CIPONDOH",
        "Hotel Danau Cipondoh",
        "hotel",
        TWO_DOORS,
        180,
        "36.71.05",
        status="under_review",
    ),
    DemoVenue(
        "TOKO-LARANGAN",
        "Toko Larangan Jaya",
        "toko",
        ["Pintu Utama"],
        50,
        "36.71.13",
        status="approved",
    ),
    DemoVenue(
        "WISATA-PERIUK",
        "Taman Periuk",
        "tempat-wisata",
        ["Gerbang Utama"],
        300,
        "36.71.08",
        status="requested",
    ),
    DemoVenue(
        "KAFE-KARAWACI",
        "Kafe Karawaci",
        "rumah-makan",
        ["Pintu Utama"],
        30,
        "36.71.07",
        status="rejected",
    ),
    DemoVenue(
        "GYM-PINANG",
        "Pusat Kebugaran Pinang",
        "sarana-olahraga",
        ["Pintu Utama"],
        60,
        "36.71.11",
        status="registered",
    ),
]
REJECTION_REASON = (
    "Alamat dan koordinator tidak dapat diverifikasi; ajukan ulang dengan surat tugas."
)

# username, role, full name, jurisdiction: sectors (agency officer) or venues (venue roles)
ACCOUNTS: list[tuple[str, str, str, list[str]]] = [
    ("penerbit", "issuer", "Petugas Pusdatin Kemenkes", []),
    ("kominfo", "city_admin", "Admin Diskominfo Kota Tangerang", []),
    ("disbudpar", "agency_officer", "Petugas Disbudpar", ["hotel", "rumah-makan", "tempat-wisata"]),
    ("satpolpp", "enforcement_officer", "Petugas Satpol PP", []),
    ("dinkes", "health_officer", "Petugas Dinkes", []),
    ("pengelola.puspem", "venue_manager", "Pengelola Puspem", ["PUSPEM-TNG", "GEDUNG-CISADANE"]),
    ("staf.puspem", "venue_staff", "Staf Pintu Puspem", ["PUSPEM-TNG"]),
]


def issued_venues() -> list[DemoVenue]:
    """Every venue whose codes the demo issues: per sector, exactly the article's count."""
    venues = list(NAMED)
    used = dict.fromkeys(ARTICLE_TABLE, 0)
    for v in venues:
        used[v.sector] += len(v.entrances)
    for sector, target in ARTICLE_TABLE.items():
        remaining = target - used[sector]
        if remaining < 0:
            raise ValueError(f"named venues exceed the article's count for {sector}")
        if remaining == 0:
            continue
        prefix, pattern, capacity = GENERATED[sector]
        for n in range(1, remaining + 1):
            venues.append(
                DemoVenue(
                    f"{prefix}-{n:03d}",
                    pattern.format(n=n),
                    sector,
                    ["Pintu Utama"],
                    capacity,
                    KECAMATAN[(n + len(sector)) % len(KECAMATAN)],
                    # Roughly one in three codes printed but not yet confirmed on the wall.
                    status="issued" if n % 3 == 0 else "installed",
                )
            )
    return venues
