"""Load test: simulated users against a Pilotis server on this machine, bounded in time and count.

    PILOTIS_VAR_DIR=/tmp/bench-demo make demo         # or any database holding the demo
    PYTHONPATH=src PILOTIS_DEBUG=true PILOTIS_VAR_DIR=/tmp/bench-demo \
        python bench/load.py --users 50 --seconds 180

It prepares bench accounts in that database (pilots of the fiches of an open campaign, one API
token), starts its own server on 127.0.0.1 (Django's threaded server; `--url` targets a server you
started yourself, loopback only), then runs three kinds of users in equal shares: anonymous readers
of a published plan (overview and fiches), pilots (their dashboard, a fiche's report, then saving
it as a draft: a 409 is an expected conflict when two pilots save the same fiche), and API readers
with a token. It prints the requests, the answers by status and p50/p95/p99 per kind, and the
machine's load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import ipaddress
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from urllib.parse import urlsplit

MAX_REQUESTS = 100_000


def prepare(n_pilots: int) -> dict:
    """Bench accounts in the database of PILOTIS_VAR_DIR / DATABASE_URL; what the users need."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotis.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from pilotis.accounts import roles
    from pilotis.accounts.models import Role
    from pilotis.api import tokens
    from pilotis.followup.models import Campaign
    from pilotis.plans.models import FicheRole, Plan

    published = Plan.objects.filter(published=True).order_by("pk").first()
    campaign = Campaign.objects.filter(status=Campaign.Status.OPEN).order_by("pk").first()
    if published is None or campaign is None:
        sys.exit("Il faut une base de démonstration (make demo) : un plan publié, une campagne.")
    fiches = list(published.fiches.order_by("position").values_list("number", flat=True)[:20])
    steered = list(
        FicheRole.objects.filter(fiche__plan=campaign.plan, role__in=["pilot", "copilot"])
        .select_related("fiche", "organisation")
        .order_by("fiche__position")
    )
    users = get_user_model()
    backend = "django.contrib.auth.backends.ModelBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS
    pilots = []
    for i in range(n_pilots):
        role = steered[i % len(steered)]
        user, _ = users.objects.get_or_create(
            username=f"bench-pilote-{i}", defaults={"email": f"bench-pilote-{i}@example.org"}
        )
        roles.grant(user, campaign.plan, Role.PILOT, [role.organisation])
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pilots.append((session.session_key, role.fiche.number))
    reader, _ = users.objects.get_or_create(username="bench-api")
    roles.grant(reader, campaign.plan, Role.COPIL, [])
    _token, secret = tokens.create(reader, "bench/load.py")
    return {
        "published": published.slug,
        "fiches": fiches,
        "plan": campaign.plan.slug,
        "year": campaign.year,
        "pilots": pilots,
        "token": secret,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }


class Stats:
    def __init__(self, limit: int):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.count = 0
        self.limit = limit

    def take(self) -> bool:
        with self.lock:
            if self.count >= self.limit:
                return False
            self.count += 1
            return True

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[status] += 1


def call(opener, stats: Stats, kind: str, url: str, data: dict | None = None, headers=None):
    if not stats.take():
        raise StopIteration
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    start = time.perf_counter()
    try:
        with opener.open(request, timeout=120) as response:
            text = response.read().decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as error:
        text, status = error.read().decode("utf-8", "replace"), error.code
    except OSError:
        text, status = "", 599  # connection refused, reset or timed out
    stats.record(kind, status, time.perf_counter() - start)
    return status, text


def no_redirect_opener(jar):
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Keep)


def anonymous(base: str, ctx: dict, stats: Stats, until: float, rng: random.Random) -> None:
    opener = urllib.request.build_opener()
    while time.monotonic() < until:
        call(opener, stats, "lecture publique", f"{base}/plans/{ctx['published']}/")
        number = rng.choice(ctx["fiches"])
        call(opener, stats, "lecture publique", f"{base}/plans/{ctx['published']}/fiches/{number}/")


def pilot(base: str, ctx: dict, stats: Stats, until: float, index: int) -> None:
    session, number = ctx["pilots"][index % len(ctx["pilots"])]
    jar = http.cookiejar.CookieJar()
    host = urlsplit(base).hostname
    jar.set_cookie(
        http.cookiejar.Cookie(
            0,
            ctx["session_cookie"],
            session,
            None,
            False,
            host,
            False,
            False,
            "/",
            True,
            False,
            None,
            False,
            None,
            None,
            {},
        )
    )
    opener = no_redirect_opener(jar)
    fiche_url = f"{base}/plans/{ctx['plan']}/suivi/{ctx['year']}/fiches/{number}/"
    while time.monotonic() < until:
        call(opener, stats, "pilote", f"{base}/plans/{ctx['plan']}/suivi/{ctx['year']}/")
        status, page = call(opener, stats, "pilote", fiche_url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        version = re.search(r'name="version" value="(\d+)"', page)
        if status != 200 or not token or not version:
            continue
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "version": version.group(1),
            "intent": "draft",
            "comment": f"Point d’étape du banc de charge, {time.strftime('%H:%M:%S')}.",
        }
        call(opener, stats, "enregistrement", fiche_url, data, {"Referer": fiche_url})


def api_reader(base: str, ctx: dict, stats: Stats, until: float) -> None:
    opener = urllib.request.build_opener()
    headers = {"Authorization": f"Bearer {ctx['token']}"}
    while time.monotonic() < until:
        call(opener, stats, "API", f"{base}/api/v1/plans", headers=headers)
        call(opener, stats, "API", f"{base}/api/v1/plans/{ctx['plan']}/fiches", headers=headers)


def run_user(target, *args) -> None:
    with contextlib.suppress(StopIteration):  # the request budget is spent
        target(*args)


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--url", help="a server already running on this machine")
    args = parser.parse_args()
    if not (1 <= args.users <= 200 and 1 <= args.seconds <= 900):
        sys.exit("Entre 1 et 200 utilisateurs, entre 1 et 900 secondes.")
    max_requests = min(args.max_requests, MAX_REQUESTS)
    base = (args.url or f"http://127.0.0.1:{args.port}").rstrip("/")
    host = urlsplit(base).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        sys.exit("Le banc de charge ne vise que cette machine (127.0.0.1, localhost).")
    ctx = prepare(args.users // 3 + 1)
    server = None
    if not args.url:
        server = subprocess.Popen(
            [sys.executable, "-m", "pilotis", "runserver", f"127.0.0.1:{args.port}", "--noreload"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
    try:
        load_before = os.getloadavg()
        stats = Stats(max_requests)
        until = time.monotonic() + args.seconds
        threads = []
        for i in range(args.users):
            match i % 3:
                case 0:
                    target, extra = anonymous, (random.Random(i),)
                case 1:
                    target, extra = pilot, (i // 3,)
                case _:
                    target, extra = api_reader, ()
            threads.append(
                threading.Thread(target=run_user, args=(target, base, ctx, stats, until, *extra))
            )
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.users} utilisateurs, {elapsed:.0f} s, {stats.count} requêtes")
    print(
        "réponses par statut : "
        + ", ".join(f"{s} × {n}" for s, n in sorted(stats.statuses.items()))
    )
    everything = [t for times in stats.times.values() for t in times]
    for kind, times in [*sorted(stats.times.items()), ("toutes", everything)]:
        print(
            f"  {kind:<18} {len(times):>6} requêtes  p50 {percentile(times, 50):.2f} s  "
            f"p95 {percentile(times, 95):.2f} s  p99 {percentile(times, 99):.2f} s"
        )
    print(
        "charge de la machine (1, 5, 15 min) : avant "
        + " ".join(f"{x:.1f}" for x in load_before)
        + ", après "
        + " ".join(f"{x:.1f}" for x in load_after)
    )
    errors = sum(n for s, n in stats.statuses.items() if s >= 500)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
