"""The twelve sectors of the founding article: reference data every deployment has."""

SECTORS: list[tuple[str, str, str]] = [
    ("kantor-pemerintahan", "Kantor Instansi Pemerintahan", "Government offices"),
    ("sarana-olahraga", "Sarana Olahraga", "Sports facilities"),
    ("sekolah", "Sekolah", "Schools"),
    ("tempat-wisata", "Tempat Wisata", "Tourist sites"),
    ("rumah-sakit", "Rumah Sakit", "Hospitals"),
    ("puskesmas", "Puskesmas", "Community health centres"),
    ("pusat-perbelanjaan", "Pusat Perbelanjaan", "Shopping centres"),
    ("toko", "Toko", "Shops"),
    ("apartemen", "Apartemen", "Apartments"),
    ("hotel", "Hotel", "Hotels"),
    ("rumah-makan", "Rumah Makan", "Restaurants"),
    ("terminal", "Terminal", "Bus terminals"),
]


def ensure_sectors(sector_model: type) -> None:
    """Create or update the reference sectors (used by the migration and by tests that
    flush the database)."""
    for position, (slug, name_id, name_en) in enumerate(SECTORS, start=1):
        sector_model.objects.update_or_create(  # type: ignore[attr-defined]
            slug=slug, defaults={"name_id": name_id, "name_en": name_en, "position": position}
        )
