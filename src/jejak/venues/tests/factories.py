import factory

from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue
        skip_postgeneration_save = True

    short_code = factory.Sequence(lambda n: f"VEN-{n:04d}")
    name = factory.Sequence(lambda n: f"Tempat {n}")
    sector = factory.LazyFunction(lambda: Sector.objects.get(slug="hotel"))
    capacity = 100
    default_stay_minutes = 60
    coordinator_name = "Budi"
    coordinator_email = "budi@example.org"

    @factory.post_generation
    def entrances(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """`entrances=["Pintu Utara", ...]`; one "Pintu Utama" by default."""
        if not create:
            return
        for position, name in enumerate(extracted or ["Pintu Utama"]):
            EntryPoint.objects.create(venue=self, name=name, position=position)
