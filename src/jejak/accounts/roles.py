from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ISSUER = "issuer", _("Penerbit (nasional)")
    CITY_ADMIN = "city_admin", _("Admin kota")
    AGENCY_OFFICER = "agency_officer", _("Petugas OPD sektor")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("Petugas Satpol PP")
    HEALTH_OFFICER = "health_officer", _("Petugas kesehatan")
    VENUE_MANAGER = "venue_manager", _("Pengelola tempat")
    VENUE_STAFF = "venue_staff", _("Staf tempat")
    VISITOR = "visitor", _("Pengunjung")


STAFF_ROLES = frozenset(Role) - {Role.VISITOR}
# Roles whose jurisdiction is a region (a city, usually) rather than a list of venues.
REGIONAL_ROLES = frozenset(
    {Role.CITY_ADMIN, Role.AGENCY_OFFICER, Role.ENFORCEMENT_OFFICER, Role.HEALTH_OFFICER}
)
VENUE_ROLES = frozenset({Role.VENUE_MANAGER, Role.VENUE_STAFF})
