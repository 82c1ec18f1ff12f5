from jejak.regions.models import Region, RegionLevel


def city_with_districts(code: str = "36.71", name: str = "Kota Tangerang") -> Region:
    """A city (with its province) and two kecamatan, created if missing."""
    province, _ = Region.objects.get_or_create(
        code=code.split(".")[0], defaults={"name": "Banten", "level": RegionLevel.PROVINCE}
    )
    city, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": RegionLevel.REGENCY, "parent": province}
    )
    for n, district in enumerate(["Tangerang", "Karawaci"], start=1):
        Region.objects.get_or_create(
            code=f"{code}.{n:02d}",
            defaults={"name": district, "level": RegionLevel.DISTRICT, "parent": city},
        )
    return city
