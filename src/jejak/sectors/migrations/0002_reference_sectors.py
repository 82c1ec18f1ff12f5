"""The twelve sectors of the founding article, as reference data every deployment has."""

from django.db import migrations

SECTORS = [
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


def add_sectors(apps, schema_editor):
    Sector = apps.get_model("sectors", "Sector")
    for position, (slug, name_id, name_en) in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(
            slug=slug, defaults={"name_id": name_id, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("sectors", "0001_initial")]
    operations = [migrations.RunPython(add_sectors, migrations.RunPython.noop)]
