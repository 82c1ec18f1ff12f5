"""The check-in lane (checkins/lane.py): what it answers, what it hands to Django, and
how its thread batches the requests that arrive together."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from concurrent.futures import Future
from typing import Any

import pytest
from a2wsgi import WSGIMiddleware
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.checkins import lane, service, tasks
from jejak.checkins.errors import Refusal
from jejak.checkins.models import BlackStatusAlert, CheckIn
from jejak.checkins.tests.conftest import code_of
from jejak.screening.errors import ErrorCode, ScreeningError
from jejak.screening.tests.factories import make_person

pytestmark = pytest.mark.django_db


class Django:
    """Stands in for Django behind the lane: records what reached it, body included."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.calls.append((scope["path"], body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


class InlineRunner(lane.BatchRunner):
    """Decides each request at once, in the test's thread and its database transaction."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Django's check between requests would close the test's open transaction.
        self._checked = float("inf")

    def submit(self, job: lane.Job) -> asyncio.Future[lane.Reply]:
        async def one() -> lane.Reply:
            (reply,) = await sync_to_async(self.run_batch)([job])
            return reply

        return asyncio.ensure_future(one())


@pytest.fixture(autouse=True)
def _side_connection_closed() -> Any:
    """The lane's side thread (token uses, alerts) has a connection of its own: it must
    not outlive the test database."""
    yield
    lane.later(connections.close_all).result(timeout=10)


@pytest.fixture
def django_app() -> Django:
    return Django()


@pytest.fixture
def app(django_app: Django) -> lane.CheckInLane:
    return lane.CheckInLane(django_app, runner=InlineRunner())


def call(
    app: Any, body: bytes | list[bytes], headers: dict[str, str], path: str = lane.PATH
) -> tuple[int, dict[str, str], bytes]:
    parts = body if isinstance(body, list) else [body]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        # A client always sends a Host; the one ALLOWED_HOSTS has for tests unless given.
        "headers": [
            (k.lower().encode(), v.encode()) for k, v in ({"Host": "testserver"} | headers).items()
        ],
    }
    # From the test's thread, so that the runner's sync_to_async comes back to it.
    async_to_sync(app)(scope, receive, send)
    start, *rest = sent
    head = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], head, b"".join(m.get("body", b"") for m in rest)


def token_for(user: Any) -> str:
    return ApiToken.issue(user=user, name="phone")[1]


def payload(venue: Any, **changes: Any) -> bytes:
    fields = {"qr": code_of(venue), "nonce": str(uuid.uuid4()), "people": ["self"]}
    return json.dumps(fields | changes).encode()


def test_the_lane_answers_a_check_in_as_the_api_does(app, django_app, make_visitor, hotel, policy):
    lane_visitor, api_visitor = make_visitor("merah"), make_visitor("merah")
    status, head, body = call(
        app,
        payload(hotel),
        {"Authorization": f"Bearer {token_for(lane_visitor)}", "Accept-Language": "en"},
    )
    assert status == 201 and not django_app.calls
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(api_visitor)
    expected = client.post(lane.PATH, payload(hotel), content_type="application/json")
    assert expected.status_code == 201
    got, want = json.loads(body), expected.json()
    assert got.keys() == want.keys()
    assert got["people"][0].keys() == want["people"][0].keys()
    assert got["people"][0]["messages"] == want["people"][0]["messages"]
    assert got["people"][0]["messages"] == ["Red status may not enter this venue."]
    assert head["content-type"] == expected["Content-Type"]
    assert head["content-language"] == "en"
    assert head["x-content-type-options"] == "nosniff"
    assert CheckIn.objects.filter(account=lane_visitor).count() == 1


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_refusal_keeps_its_code_status_and_the_callers_language(
    app, visitor, hotel, policy, language
):
    old = (timezone.now() - dt.timedelta(days=2)).isoformat()
    status, head, body = call(
        app,
        payload(hotel, scanned_at=old),
        {"Authorization": f"Bearer {token_for(visitor)}", "Accept-Language": language},
    )
    with translation.override(language):
        message = str(Refusal.SCAN_TOO_OLD.label)
    assert status == 400
    assert json.loads(body) == {"code": "scan_too_old", "message": message}
    assert head["content-type"] == "application/json; charset=utf-8"


@pytest.fixture
def staff_token(make_user: Any) -> str:
    return token_for(make_user(Role.VENUE_STAFF))


@pytest.mark.parametrize(
    "case",
    ["no token", "not json", "invalid field", "unknown token", "staff token", "too large"],
)
def test_what_the_lane_does_not_answer_reaches_django_unchanged(
    app, django_app, visitor, staff_token, hotel, policy, case
):
    headers = {"Authorization": f"Bearer {token_for(visitor)}"}
    body: bytes | list[bytes] = payload(hotel)
    if case == "no token":
        headers = {"Cookie": "sessionid=abc"}
    elif case == "not json":
        body = b"{not json"
    elif case == "invalid field":
        body = payload(hotel, visitor_type="tourist")
    elif case == "unknown token":
        headers = {"Authorization": "Bearer jjk_forged"}
    elif case == "staff token":
        headers = {"Authorization": f"Bearer {staff_token}"}
    else:
        body = [b"x" * lane.MAX_BODY, b"y" * 10, b"z"]
    status, _head, answer = call(app, body, headers)
    assert (status, answer) == (299, b"django")
    assert django_app.calls == [(lane.PATH, b"".join(body) if isinstance(body, list) else body)]
    assert not CheckIn.objects.exists()


def test_other_paths_go_to_django(app, django_app, visitor):
    status, _head, _body = call(app, b"{}", {"Authorization": "Bearer x"}, path="/healthz")
    assert status == 299 and django_app.calls == [("/healthz", b"{}")]


def test_a_batch_that_fails_is_handed_to_django(django_app, visitor, hotel, policy):
    def broken(jobs: list[lane.Job]) -> list[lane.Reply]:
        raise RuntimeError("database went away")

    class Broken(InlineRunner):
        def __init__(self) -> None:
            super().__init__(decide=broken)

    app = lane.CheckInLane(django_app, runner=Broken())
    body = payload(hotel)
    status, _head, _answer = call(app, body, {"Authorization": f"Bearer {token_for(visitor)}"})
    assert status == 299 and django_app.calls == [(lane.PATH, body)]


def _recording_runner(
    sizes: list[int], pause: float, gather: float | None = None
) -> lane.BatchRunner:
    """A lane whose batches, recorded in `sizes`, each take `pause` (a batch in the
    database: others queue meanwhile) and answer every job with its token."""

    def decide(jobs: list[lane.Job]) -> list[lane.Reply]:
        sizes.append(len(jobs))
        time.sleep(pause)
        return [job.token for job in jobs]  # type: ignore[misc]

    runner = lane.BatchRunner(decide=decide, gather=gather)
    runner._checked = float("inf")  # no connection check: this decide has no database
    return runner


def test_the_lanes_thread_decides_what_arrives_together_in_one_batch(run_async):
    sizes: list[int] = []
    runner = _recording_runner(sizes, 0.02)

    async def many() -> list[Any]:
        jobs = [lane.Job(token=str(i), body=None) for i in range(30)]  # type: ignore[arg-type]
        return list(await asyncio.gather(*(runner.submit(job) for job in jobs)))

    assert run_async(many()) == [str(i) for i in range(30)]
    assert sum(sizes) == 30 and max(sizes) > 1


def _timed_batches(
    run_async: Any, runner_gather: float, busy: int, gaps: list[float]
) -> tuple[list[int], float]:
    """Batch sizes and the seconds to the last answer, for jobs submitted `gaps` apart to
    a lane that expects `busy` requests (0: an idle lane)."""
    sizes: list[int] = []
    runner = _recording_runner(sizes, 0.0, gather=runner_gather)
    runner._expected = busy

    async def submit() -> float:
        started = time.monotonic()
        futures = [runner.submit(lane.Job(token="0", body=None))]  # type: ignore[arg-type]
        for k, gap in enumerate(gaps, start=1):
            await asyncio.sleep(gap)
            futures.append(runner.submit(lane.Job(token=str(k), body=None)))  # type: ignore[arg-type]
        assert await asyncio.gather(*futures) == [str(k) for k in range(len(gaps) + 1)]
        return time.monotonic() - started

    return sizes, run_async(submit())


def test_a_busy_lane_waits_for_the_requests_it_expects(run_async):
    sizes, seconds = _timed_batches(run_async, 2.0, busy=3, gaps=[0.05, 0.05])
    assert sizes == [3]
    assert seconds < 1.0  # it went as soon as the third arrived, not at the window's end


def test_clients_that_queued_apart_are_decided_together_after_a_round(run_async):
    sizes: list[int] = []
    runner = _recording_runner(sizes, 0.05, gather=0.3)

    async def client(name: str, start: float) -> None:
        await asyncio.sleep(start)
        for _round in range(3):  # each sends its next request as soon as it is answered
            assert await runner.submit(lane.Job(token=name, body=None)) == name  # type: ignore[arg-type]

    async def clients() -> None:
        await asyncio.gather(client("a", 0), *(client(name, 0.01) for name in "bcd"))

    run_async(clients())
    # "a" alone, then "b", "c" and "d" that queued meanwhile (with "a"'s next one if it
    # came back first: a busy machine may let it), then all four together: at most four
    # batches for the twelve requests, never two cohorts taking turns (1, 3, 1, 3, 1, 3).
    assert sizes[0] == 1 and sum(sizes) == 12
    assert len(sizes) <= 4 and 4 in sizes


def test_a_busy_lane_waits_no_longer_than_its_window(run_async):
    sizes, seconds = _timed_batches(run_async, 0.1, busy=10, gaps=[])
    assert sizes == [1] and 0.1 <= seconds < 1.0


def test_an_idle_lane_answers_at_once(run_async):
    sizes, seconds = _timed_batches(run_async, 2.0, busy=0, gaps=[0.3])
    assert sizes == [1, 1] and seconds < 1.0


def test_collected_black_alerts_wait_for_the_collector(
    make_visitor, hotel, policy, settings, django_capture_on_commit_callbacks
):
    # With a task worker; without one, alerts are left to the periodic sweep.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    collected: list[int] = []
    service.collect_black_alerts(collected)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            service.record_many(
                asks=[
                    service.Ask(
                        account=make_visitor("hitam"),
                        qr=code_of(hotel),
                        nonce=uuid.uuid4(),
                        people=["self"],
                        visitor_type="guest",
                    )
                ]
            )
    finally:
        service.collect_black_alerts(None)
    alert = BlackStatusAlert.objects.get()
    assert collected == [alert.pk] and len(callbacks) == 1


def test_the_lane_hands_over_its_alerts_when_the_server_stops(run_async, monkeypatch):
    # An hour between notifications: only the shutdown can hand these over in time.
    monkeypatch.setattr(lane, "ALERT_SECONDS", 3600.0)
    enqueued: list[list[int]] = []

    class Task:
        @staticmethod
        def enqueue(*, alert_ids: list[int]) -> None:
            enqueued.append(alert_ids)

    monkeypatch.setattr(tasks, "notify_black_status", Task)

    def decide(jobs: list[lane.Job]) -> list[lane.Reply]:
        runner._alerts.extend([41, 42])  # what a committed batch's black statuses add
        return [job.token for job in jobs]  # type: ignore[misc]

    runner = lane.BatchRunner(decide=decide, gather=0)
    runner._checked = float("inf")  # no connection check: this decide has no database
    app = lane.CheckInLane(WSGIMiddleware(lambda environ, start: []), runner=runner)

    async def serve_then_stop() -> list[str]:
        assert await runner.submit(lane.Job(token="a", body=None)) == "a"  # type: ignore[arg-type]
        inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        for kind in ("lifespan.startup", "lifespan.shutdown"):
            inbox.put_nowait({"type": kind})
        sent: list[str] = []

        async def send(message: dict[str, str]) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan"}, inbox.get, send)
        return sent

    assert run_async(serve_then_stop()) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert enqueued == [[41, 42]]

    # The lane still serves what comes later; a flush with nothing held hands nothing over.
    async def one_more() -> lane.Reply:
        return await runner.submit(lane.Job(token="b", body=None))  # type: ignore[arg-type]

    assert run_async(one_more()) == "b"
    runner.flush()
    runner.flush()
    assert enqueued == [[41, 42], [41, 42]]


def test_side_work_runs_on_another_thread_and_a_failure_is_only_logged(caplog):
    import threading

    seen: list[str] = []
    lane.later(lambda: seen.append(threading.current_thread().name)).result(timeout=10)
    assert seen and seen[0].startswith("checkin-lane-side")

    def fails() -> None:
        raise RuntimeError("no database")

    lane.later(fails).result(timeout=10)  # no exception reaches the caller
    assert "failed" in caplog.text


def test_the_lane_decides_an_unrostered_employee_as_a_guest(
    app, django_app, make_visitor, hotel, policy
):
    # The lane's fast path calls the same record_many: "employee" needs the roster there too.
    from jejak.rosters.tests.factories import put_on_roster

    stranger, worker = make_visitor("merah"), make_visitor("merah")
    put_on_roster(hotel, account=worker)
    answers = {}
    for name, account in (("stranger", stranger), ("worker", worker)):
        status, _head, body = call(
            app,
            payload(hotel, visitor_type="employee"),
            {"Authorization": f"Bearer {token_for(account)}"},
        )
        assert status == 201 and not django_app.calls
        answers[name] = json.loads(body)["people"][0]
    assert (answers["stranger"]["decision"], answers["stranger"]["notes"]) == (
        "denied",
        ["not_on_staff_roster"],
    )
    assert (answers["worker"]["decision"], answers["worker"]["notes"]) == ("allowed", [])


def test_a_host_that_allowed_hosts_refuses_is_left_to_django(
    app, django_app, make_visitor, hotel, policy
):
    visitor = make_visitor("hijau")
    headers = {"Authorization": f"Bearer {token_for(visitor)}", "Host": "evil.example"}

    status, _head, body = call(app, payload(hotel), headers)

    assert (status, body) == (299, b"django")  # Django answers it: DisallowedHost, 400
    assert not CheckIn.objects.exists()


def test_a_refused_host_gets_django_s_400_through_the_api(make_visitor, hotel, policy):
    visitor = make_visitor("hijau")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(visitor)}", HTTP_HOST="evil.example")

    answer = client.post("/api/v1/checkins", payload(hotel), content_type="application/json")

    assert answer.status_code == 400
    assert not CheckIn.objects.exists()


def test_no_rule_set_is_answered_in_the_caller_s_language(
    app, make_visitor, hotel, policy, monkeypatch
):
    def none(**kwargs: Any) -> Any:
        raise ScreeningError(ErrorCode.NO_RULE_SET)

    monkeypatch.setattr(service.screening, "statuses", none)
    visitor = make_visitor("hijau")
    headers = {"Authorization": f"Bearer {token_for(visitor)}", "Accept-Language": "en"}

    status, head, body = call(app, payload(hotel), headers)

    assert status == 503 and head["content-language"] == "en"
    assert json.loads(body) == {
        "code": "no_rule_set",
        "message": "No screening rule set was in force at that time.",
    }


class _FailingTurn(lane.BatchRunner):
    """A runner whose first turn fails outside the batch's decision (run_batch's guard)."""

    def __init__(self) -> None:
        super().__init__(decide=lambda jobs: [lane.DELEGATE] * len(jobs), gather=0)
        self.failed = threading.Event()

    def _turn(self, taken: list[Any]) -> None:
        if not self.failed.is_set():
            taken.append(self._queue.get())
            self.failed.set()
            raise RuntimeError("a turn that breaks")
        super()._turn(taken)


def _answer(runner: lane.BatchRunner) -> Any:
    async def ask() -> Any:
        return await lane.CheckInLane(lambda *a: None, runner=runner)._decided(
            lane.Job(token="t", body=None)  # type: ignore[arg-type]
        )

    return asyncio.run(ask())


def test_a_turn_that_fails_hands_its_requests_to_django_and_the_lane_goes_on():
    runner = _FailingTurn()

    first, second = _answer(runner), _answer(runner)

    assert runner.failed.is_set()
    assert first is lane.DELEGATE and second is lane.DELEGATE  # the second was decided
    assert runner._thread is not None and runner._thread.is_alive()


class _Dying(lane.BatchRunner):
    """A runner whose thread ends (as only a BaseException could end it) when told."""

    def __init__(self) -> None:
        super().__init__(decide=lambda jobs: [lane.DELEGATE] * len(jobs), gather=0)
        self.die = threading.Event()

    def _turn(self, taken: list[Any]) -> None:
        if self.die.is_set():
            self.die.clear()
            raise SystemExit
        super()._turn(taken)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_lane_thread_that_died_is_started_again():
    runner = _Dying()
    assert _answer(runner) is lane.DELEGATE  # the thread answered, then waits on its queue
    dead = runner._thread
    assert dead is not None
    runner.die.set()
    runner._queue.put(Future())  # wakes it up: its next turn ends the thread
    dead.join(timeout=10)
    assert not dead.is_alive()

    assert _answer(runner) is lane.DELEGATE  # answered: not hung on a dead thread
    assert runner._thread is not dead and runner._thread.is_alive()


def test_a_request_the_lane_does_not_decide_in_time_goes_to_django(monkeypatch):
    release = threading.Event()

    def stuck(jobs: list[Any]) -> list[Any]:
        release.wait(timeout=30)
        return [lane.DELEGATE] * len(jobs)

    monkeypatch.setattr(lane, "DECIDE_TIMEOUT", 0.2)
    runner = lane.BatchRunner(decide=stuck, gather=0)
    try:
        started = time.monotonic()
        assert _answer(runner) is lane.DELEGATE
        assert time.monotonic() - started < 10
    finally:
        release.set()


def _unverified_visitor(make_user: Any, serial: int) -> Any:
    account = make_user(Role.VISITOR)
    make_person(account, unverified=True, serial=serial)
    return account


_SCENARIOS = {
    # name: (colour of the two visitors, body changes)
    "hijau": ("hijau", {}),
    "kuning": ("kuning", {}),
    "merah": ("merah", {}),
    "hitam": ("hitam", {}),
    "unverified": ("unverified", {}),
    "employee off the roster": ("merah", {"visitor_type": "employee"}),
    "person unknown": ("hijau", {"people": ["zzzzzzzzzzzz"]}),
    "scan too old": ("hijau", {"scanned_at": "2000-01-01T00:00:00+07:00"}),
    "not a code": ("hijau", {"qr": "JJK1.not-a-code"}),
}


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("scenario", sorted(_SCENARIOS))
def test_the_lane_and_the_web_app_s_path_answer_alike(
    app, make_visitor, make_user, hotel, policy, scenario, language
):
    colour, changes = _SCENARIOS[scenario]
    if colour == "unverified":
        lane_visitor = _unverified_visitor(make_user, 8801)
        web_visitor = _unverified_visitor(make_user, 8802)
    else:
        lane_visitor, web_visitor = make_visitor(colour), make_visitor(colour)
    body = payload(hotel, **changes)
    status, head, answer = call(
        app,
        body,
        {"Authorization": f"Bearer {token_for(lane_visitor)}", "Accept-Language": language},
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(web_visitor)
    expected = client.post(lane.PATH, body, content_type="application/json")

    assert status == expected.status_code
    assert head["content-type"] == expected["Content-Type"]
    assert head["content-language"] == expected["Content-Language"] == language
    got, want = json.loads(answer), expected.json()
    if status != 201:
        assert got == want
        return
    fields = ("decision", "reasons", "messages", "colour", "colour_reasons", "notes", "action")
    assert [{f: p[f] for f in fields} for p in got["people"]] == [
        {f: p[f] for f in fields} for p in want["people"]
    ]
