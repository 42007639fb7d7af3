"""Staff browsing and entering decisions, for locust (run by bench/load.sh, not by hand).

Each simulated user signs in through the real sign-in form; once all have, the statistics are
reset, and each user opens a page every 3 to 10 seconds (reading, typing): the home page, the
unit tree, a unit's page, the member list with a search, a member's record, a unit's report;
editors also admit new people, transfer members and recognize probationers through the real
forms (GET for the form and its CSRF token, then POST). Every request carries
``X-Forwarded-Proto: https``, as the TLS-ending proxy in front of the app would, so the app runs
with its production settings unchanged (HTTPS redirect, secure cookies, CSRF origin checks).

What to open and to enter comes from the plan (LOAD_PLAN, by bench/load_data.py); the accepted
submissions are written to LOAD_RESULTS when locust stops, for the count check.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import gevent
import gevent.event
from locust import FastHttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
TODAY = PLAN["today"]
PROXY = {"X-Forwarded-Proto": "https"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECORD = re.compile(r"^/members/(\d+)/$")
SEARCHES = ["nguyen van", "tran thi", "le", "pham minh", "Nguyễn Thị", "hoa", "đặng", "vo van"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hoàng", "Quốc"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hà", "Khánh", "Linh", "Nhung", "Phúc", "Tâm", "Yến"]

ALL_SIGNED_IN = gevent.event.Event()
_signing_in = {"done": 0}
RESULTS: dict = {
    "admitted": [],
    "transferred": [],
    "recognized": [],
    "refused": 0,
    "unanswered": 0,
    # Sign-ins happen before the statistics are reset (on_start): their times are kept here.
    "sign_in_ms": [],
}
# Each member to transfer or recognize is in one pool, and each is taken once (gevent runs one
# user at a time between requests, so list.pop() needs no lock).
POOLS = {
    name: {"transfers": list(a["transfers"]), "recognitions": list(a["recognitions"])}
    for name, a in PLAN["accounts"].items()
}
_citizen_ids = itertools.count(1)


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    """After every user has stopped: the accepted submissions and the final statistics (the
    CSV files locust writes every few seconds may miss the last requests)."""
    stats = environment.stats
    RESULTS["pages"] = [
        {
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "max": entry.max_response_time,
        }
        for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]
        if entry.num_requests
    ]
    Path(os.environ["LOAD_RESULTS"]).write_text(json.dumps(RESULTS), encoding="utf-8")


class Staff(FastHttpUser):
    abstract = True
    account = ""
    wait_time = between(3, 10)

    def on_start(self):
        # The browser's connection is HTTPS (to the proxy), so it sends the app's Secure
        # cookies (session, CSRF); locust's own connection to gunicorn is plain HTTP.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))
        self.plan = PLAN["accounts"][self.account]
        self.rng = random.Random()
        started = time.perf_counter()
        page = self.get("sign-in form", "/accounts/login/")
        data = {"username": self.account, "password": self.plan["password"]}
        if self.post("sign-in", "/accounts/login/", page, data, expect="/"):
            RESULTS["sign_in_ms"].append((time.perf_counter() - started) * 1000)
        # The working day starts once everyone has signed in: the statistics then start
        # afresh, and each user opens a first page within the first think time.
        _signing_in["done"] += 1
        if _signing_in["done"] == self.environment.parsed_options.num_users:
            self.environment.runner.stats.reset_all()
            ALL_SIGNED_IN.set()
        ALL_SIGNED_IN.wait()
        gevent.sleep(self.rng.uniform(0, 10))

    # --- requests -------------------------------------------------------------------------------

    def get(self, name: str, url: str) -> str:
        """GET a page; anything but 200 (a redirect to sign-in, say) is a failure."""
        with self.client.get(
            url, name=name, headers=PROXY, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            return response.text

    def post(self, name: str, url: str, form_page: str, data: dict, expect=RECORD):
        """POST a form with the CSRF token of the page that showed it, as a browser does; the
        app's answer to an accepted form is a redirect (to ``expect``). Returns the Location."""
        token = CSRF.search(form_page)
        if token is None:
            return None
        headers = {**PROXY, "Origin": self.host.replace("http://", "https://"), "Referer": url}
        with self.client.post(
            url,
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            matched = location == expect if isinstance(expect, str) else expect.match(location)
            if response.status_code == 302 and matched:
                return location
            if response.status_code == 0:
                RESULTS["unanswered"] += 1
            else:
                RESULTS["refused"] += 1
            response.failure(f"status {response.status_code}, Location {location!r}")
            return None

    # --- browsing -------------------------------------------------------------------------------

    @task(3)
    def home(self):
        self.get("home", "/")

    @task(1)
    def unit_tree(self):
        self.get("unit tree", "/units/")

    @task(3)
    def unit_page(self):
        self.get("unit page", f"/units/{self.rng.choice(self.plan['units'])}/")

    @task(4)
    def member_search(self):
        query = self.rng.choice(SEARCHES).replace(" ", "+")
        self.get("member list, search", f"/members/?q={query}")

    @task(4)
    def member_record(self):
        self.get("member record", f"/members/{self.rng.choice(self.plan['members'])}/")

    @task(2)
    def report(self):
        self.get("report page", f"/reports/{self.rng.choice(self.plan['units'])}/")


class Editor(Staff):
    abstract = True

    def decision(self, number: str) -> dict:
        return {
            "decision_no": number,
            "decision_date": TODAY,
            "issuing_body": "Đảng ủy (kiểm tra tải)",
            "directive": "",
            "notes": "",
        }

    @task(1)
    def admit(self):
        page = self.get("admission form", "/members/new/")
        citizen_id = f"8{next(_citizen_ids):011d}"
        data = {
            "full_name": " ".join(self.rng.choice(p) for p in (FAMILY, MIDDLE, GIVEN)),
            "gender": self.rng.choice(["male", "female"]),
            "date_of_birth": f"{self.rng.randint(1, 28):02d}/05/{self.rng.randint(1970, 2000)}",
            "ethnicity": "01",
            "religion": "none",
            "occupation_group": "other",
            "general_education": "upper_secondary",
            "professional_level": "university",
            "academic_title": "none",
            "political_theory": "none",
            "citizen_id": citizen_id,
            "unit": str(self.rng.choice(self.plan["cells"])),
            "ceremony_date": TODAY,
            **self.decision(f"{citizen_id[-4:]}-QĐ/ĐU"),
        }
        location = self.post("admission POST", "/members/new/", page, data)
        if location:
            RESULTS["admitted"].append(citizen_id)
            self.get("member record", location)

    @task(1)
    def transfer(self):
        pool = POOLS[self.account]["transfers"]
        if not pool:
            return
        item = pool.pop()
        url = f"/members/{item['member']}/transfer/"
        page = self.get("transfer form", url)
        data = {
            "mode": "within",
            "to_unit": str(item["to_unit"]),
            "destination": "",
            "effective_date": TODAY,
            **self.decision("2-QĐ/CT"),
        }
        if self.post("transfer POST", url, page, data):
            RESULTS["transferred"].append(item)

    @task(1)
    def recognize(self):
        pool = POOLS[self.account]["recognitions"]
        if not pool:
            return
        item = pool.pop()
        url = f"/members/{item['member']}/recognize/"
        page = self.get("recognition form", url)
        data = {"effective_date": TODAY, **self.decision("3-QĐ/CN")}
        if self.post("recognition POST", url, page, data):
            RESULTS["recognized"].append(item)


# 50 users split by these weights: 25 of the district's board, 10 of a ward's office (both
# enter decisions), 10 leaders and 5 cell secretaries (read only).
class Board(Editor):
    account = "bantochuc"
    weight = 5


class WardOffice(Editor):
    account = "phuongthotnot"
    weight = 2


class Leader(Staff):
    account = "lanhdao"
    weight = 2


class Secretary(Staff):
    account = "bithu.longthanh2"
    weight = 1
