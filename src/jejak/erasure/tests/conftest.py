from jejak.checkins.tests.conftest import *  # noqa: F403 (the visitors, venue and check-in fixtures)
