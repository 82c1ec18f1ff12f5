from django.http import HttpRequest, HttpResponse

from jejak.accounts.capabilities import Cap, capability_required


@capability_required(Cap.IMPORT_VENUES)
def venue_import(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
