from django.http import HttpRequest, HttpResponse


def rollout(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


venue_list = venue_bulk = review_queue = venue_detail = venue_step = rollout
