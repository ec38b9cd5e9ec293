"""The liaison inbox at /liaison, through the real app: sign-in, isolation, CSRF, sessions, the CLI."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.liaisons import LOCKOUT, MAX_FAILURES, LiaisonStore
from bot.reports import NewReport, Report, ReportStore
from bot.settings import Settings
from connectors.app import create_app
from tests.conftest import PUBLIC_URL, SECRET

PASSWORD = "correct horse battery staple"
FAST = "scrypt:1024:8:1"
PARKS_TEXT, LIBRARY_TEXT = "agents at the pool PARKS-SECRET", "agents by the stacks LIBRARY-SECRET"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _app(settings: Settings) -> Flask:
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["kyr311"]["department_names"] = {"recreation_parks": "Recreation and Parks"}
    return app


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One real app for the module (building one loads every locale); each test gets fresh stores."""
    return _app(Settings.from_env({"KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(tmp_path_factory.mktemp("var"))}))


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings.from_env({"KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(tmp_path / "var")})


def _stores(app: Flask, settings: Settings, clock: Clock) -> LiaisonStore:
    """A fresh database for this test, with a clock the tests move and a cheap scrypt cost."""
    ext = app.extensions["kyr311"]
    ext["reports"] = ReportStore(settings.reports_url, SECRET)
    ext["liaisons"] = liaisons = LiaisonStore(settings.reports_url, now=clock, hash_method=FAST)
    return liaisons


@pytest.fixture
def app(shared_app: Flask, settings: Settings, clock: Clock) -> Iterator[Flask]:
    liaisons = _stores(shared_app, settings, clock)
    liaisons.add("ana.parks", "recreation_parks", PASSWORD)
    liaisons.add("ben.parks", "recreation_parks", PASSWORD)
    liaisons.add("lee.library", "library", PASSWORD)
    yield shared_app
    liaisons.close()
    shared_app.extensions["kyr311"]["reports"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def reports(app: Flask) -> ReportStore:
    return app.extensions["kyr311"]["reports"]  # type: ignore[no-any-return]


def add_report(reports: ReportStore, department: str, what: str, **extra: Any) -> Report:
    when = datetime.now(timezone.utc) - timedelta(hours=1)
    return reports.add(NewReport("enforcement", what, f"{department} place", department, None, when, **extra))


@pytest.fixture
def parks(reports: ReportStore) -> Report:
    return add_report(reports, "recreation_parks", PARKS_TEXT, details="Two vans.", photo_urls=("https://photos.example/1.jpg",),
                      lang="es")


@pytest.fixture
def library(reports: ReportStore) -> Report:
    return add_report(reports, "library", LIBRARY_TEXT, contact="call me back 555-0100")


def token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    token = token_in(client.get("/liaison/login").get_data(as_text=True))
    return client.post("/liaison/login", data={"username": username, "password": password, "csrf_token": token})


def page_token(client: FlaskClient) -> str:
    return token_in(client.get("/liaison/").get_data(as_text=True))


def test_liaison_lists_only_their_departments_reports(client: FlaskClient, parks: Report, library: Report) -> None:
    response = sign_in(client, "Ana.Parks")
    assert response.status_code == 303 and response.headers["Location"].endswith("/liaison/")
    page = client.get("/liaison/").get_data(as_text=True)
    assert parks.code in page and "recreation_parks place" in page and "Recreation and Parks" in page
    assert library.code not in page and "library place" not in page


def test_department_is_named_from_places_then_departments_yml_then_key(app: Flask, client: FlaskClient,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "ana.parks")
    assert "Reports for Recreation and Parks<" in client.get("/liaison/").get_data(as_text=True)
    places = SimpleNamespace(departments={"recreation_parks": SimpleNamespace(name="Parks (from places)")})
    monkeypatch.setitem(app.extensions["kyr311"], "places", places)
    assert "Reports for Parks (from places)<" in client.get("/liaison/").get_data(as_text=True)
    library = app.test_client()
    sign_in(library, "lee.library")
    assert "Reports for library<" in library.get("/liaison/").get_data(as_text=True)


def test_another_departments_report_is_a_404_like_a_missing_code(client: FlaskClient, parks: Report, library: Report) -> None:
    sign_in(client, "ana.parks")
    theirs = client.get(f"/liaison/reports/{library.code}")
    missing = client.get("/liaison/reports/KYR-ZZZZ-ZZZZ")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data() == missing.get_data()
    assert LIBRARY_TEXT not in theirs.get_data(as_text=True) and "555-0100" not in theirs.get_data(as_text=True)


def test_another_departments_report_cannot_be_acknowledged(client: FlaskClient, reports: ReportStore, library: Report) -> None:
    sign_in(client, "ana.parks")
    response = client.post(f"/liaison/reports/{library.code}/acknowledge", data={"csrf_token": page_token(client)})
    assert response.status_code == 404
    stored = reports.get(library.code)
    assert stored is not None and stored.status == "new" and stored.acknowledged_by is None


def test_report_page_shows_the_report_and_links_photos_safely(client: FlaskClient, parks: Report, library: Report) -> None:
    sign_in(client, "ana.parks")
    page = client.get(f"/liaison/reports/{parks.code}").get_data(as_text=True)
    assert PARKS_TEXT in page and "Two vans." in page and "Spanish (es)" in page
    assert '<a href="https://photos.example/1.jpg" rel="noopener noreferrer"' in page
    assert "Contact" not in page  # the resident gave none
    other = client.application.test_client()
    sign_in(other, "lee.library")
    assert "call me back 555-0100" in other.get(f"/liaison/reports/{library.code}").get_data(as_text=True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_out_requests_are_redirected_and_see_nothing(client: FlaskClient, reports: ReportStore, parks: Report,
                                                            method: str) -> None:
    paths = {"get": ["/liaison/", "/liaison/?status=new", f"/liaison/reports/{parks.code}"],
             "post": [f"/liaison/reports/{parks.code}/acknowledge", "/liaison/logout"]}[method]
    for path in paths:
        response = getattr(client, method)(path, data={} if method == "post" else None)
        body = response.get_data(as_text=True)
        assert response.status_code == 303 and response.headers["Location"].endswith("/liaison/login"), path
        assert parks.code not in body and PARKS_TEXT not in body and "recreation_parks place" not in body
    assert reports.get(parks.code).status == "new"  # type: ignore[union-attr]


def test_post_without_a_valid_csrf_token_is_refused(client: FlaskClient, reports: ReportStore, parks: Report) -> None:
    sign_in(client, "ana.parks")
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/liaison/reports/{parks.code}/acknowledge", data=data)
        assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert reports.get(parks.code).status == "new"  # type: ignore[union-attr]
    fresh = client.application.test_client()
    response = fresh.post("/liaison/login", data={"username": "ana.parks", "password": PASSWORD})
    assert response.status_code == 400
    assert fresh.get("/liaison/").status_code == 303


def test_other_blueprints_need_no_csrf_token(client: FlaskClient) -> None:
    assert client.post("/chat/sessions").status_code == 201


def test_wrong_password_and_unknown_user_get_the_same_generic_error(client: FlaskClient) -> None:
    pages = [sign_in(client, name, password) for name, password in (("ana.parks", "wrong password!!"), ("nobody", PASSWORD))]
    for page in pages:
        assert page.status_code == 200 and "Wrong username or password." in page.get_data(as_text=True)
    strip = [re.sub(r'value="[^"]+"', "", page.get_data(as_text=True)) for page in pages]
    assert strip[0] == strip[1]
    assert client.get("/liaison/").status_code == 303


def test_five_failures_lock_the_account_for_fifteen_minutes(client: FlaskClient, clock: Clock) -> None:
    for _ in range(MAX_FAILURES):
        sign_in(client, "ana.parks", "wrong password!!")
    refused = sign_in(client, "ana.parks")
    assert refused.status_code == 200 and "Wrong username or password." in refused.get_data(as_text=True)
    assert sign_in(client, "ben.parks").status_code == 303  # other accounts are not locked
    clock.now += LOCKOUT + timedelta(seconds=1)
    assert sign_in(client.application.test_client(), "ana.parks").status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(app: Flask, client: FlaskClient) -> None:
    sign_in(client, "ana.parks")
    old = client.get_cookie("kyr311_liaison", path="/liaison")
    assert old is not None
    response = client.post("/liaison/logout", data={"csrf_token": page_token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/liaison/login")
    assert client.get("/liaison/").status_code == 303
    thief = app.test_client()
    thief.set_cookie("kyr311_liaison", old.value, path="/liaison")
    assert thief.get("/liaison/").status_code == 303


def test_acknowledge_works_once_and_shows_who(app: Flask, client: FlaskClient, reports: ReportStore, parks: Report) -> None:
    sign_in(client, "ana.parks")
    response = client.post(f"/liaison/reports/{parks.code}/acknowledge", data={"csrf_token": page_token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/liaison/reports/{parks.code}")
    page = client.get(f"/liaison/reports/{parks.code}").get_data(as_text=True)
    assert "Acknowledged by <strong>ana.parks</strong>" in page and "Acknowledge this report" not in page
    colleague = app.test_client()
    sign_in(colleague, "ben.parks")
    again = colleague.post(f"/liaison/reports/{parks.code}/acknowledge", data={"csrf_token": page_token(colleague)})
    assert again.status_code == 303
    assert reports.get(parks.code).acknowledged_by == "ana.parks"  # type: ignore[union-attr]


def test_status_filter_shows_new_or_acknowledged(client: FlaskClient, reports: ReportStore, parks: Report) -> None:
    other = add_report(reports, "recreation_parks", "agents at the skatepark")
    reports.acknowledge(other.code, "recreation_parks", "ben.parks")
    sign_in(client, "ana.parks")
    new = client.get("/liaison/?status=new").get_data(as_text=True)
    done = client.get("/liaison/?status=acknowledged").get_data(as_text=True)
    assert parks.code in new and other.code not in new
    assert other.code in done and parks.code not in done


def test_pages_are_never_cached(client: FlaskClient, parks: Report) -> None:
    assert client.get("/liaison/login").headers["Cache-Control"] == "no-store"
    assert client.get("/liaison/").headers["Cache-Control"] == "no-store"
    sign_in(client, "ana.parks")
    for path in ("/liaison/", f"/liaison/reports/{parks.code}", "/liaison/reports/KYR-ZZZZ-ZZZZ"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


@pytest.fixture(scope="module")
def public_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app behind a TLS proxy, at a public https URL."""
    var = tmp_path_factory.mktemp("public")
    return _app(Settings.from_env({"KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(var), "KYR_PUBLIC_URL": PUBLIC_URL}))


def test_session_cookie_is_httponly_strict_and_secure_when_public(shared_app: Flask, public_app: Flask) -> None:
    for app, secure in ((shared_app, False), (public_app, True)):
        header = app.test_client().get("/liaison/login").headers["Set-Cookie"]
        assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/liaison" in header
        assert ("Secure" in header) is secure


def test_https_form_posts_pass_with_a_same_origin_referrer(public_app: Flask, settings: Settings, clock: Clock) -> None:
    _stores(public_app, settings, clock).add("ana.parks", "recreation_parks", PASSWORD)
    client = public_app.test_client()
    token = token_in(client.get("/liaison/login", base_url=PUBLIC_URL).get_data(as_text=True))
    form = {"username": "ana.parks", "password": PASSWORD, "csrf_token": token}
    assert client.post("/liaison/login", base_url=PUBLIC_URL, data=form).status_code == 400  # no referrer
    response = client.post("/liaison/login", base_url=PUBLIC_URL, headers={"Referer": f"{PUBLIC_URL}/liaison/login"}, data=form)
    assert response.status_code == 303
    assert client.get("/liaison/", base_url=PUBLIC_URL).headers["Referrer-Policy"] == "same-origin"


def test_forged_or_tampered_session_cookie_is_refused(app: Flask, client: FlaskClient) -> None:
    sign_in(client, "ana.parks")
    cookie = client.get_cookie("kyr311_liaison", path="/liaison")
    assert cookie is not None
    forger = Flask("forger")
    forger.secret_key = "another-key-" + "y" * 40
    signer = forger.session_interface.get_signing_serializer(forger)  # type: ignore[attr-defined]
    real_signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    token = real_signer.loads(cookie.value)["token"]
    forged = [cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"),  # tampered signature
              signer.dumps({"token": token}),  # the right token, signed with another key
              real_signer.dumps({"token": "made-up"})]  # signed right, but no such session
    for value in forged:
        other = app.test_client()
        other.set_cookie("kyr311_liaison", value, path="/liaison")
        assert other.get("/liaison/").status_code == 303


def test_sign_in_is_logged_by_username_and_department_only(client: FlaskClient, parks: Report,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        sign_in(client, "ana.parks", "wrong password!!")
        sign_in(client, "ana.parks")
        client.get(f"/liaison/reports/{parks.code}")
    assert "liaison sign-in: ana.parks (recreation_parks)" in caplog.text
    assert "wrong password" not in caplog.text and PASSWORD not in caplog.text and PARKS_TEXT not in caplog.text


def test_cli_creates_an_account_that_can_sign_in(app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    monkeypatch.setenv("KYR_SECRET_KEY", SECRET)
    monkeypatch.setenv("KYR_VAR_DIR", str(settings.var_dir))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["liaison", "add", "--username", "Kim.Parks", "--department", "recreation_parks", "--password-stdin"]) == 0
    client = app.test_client()
    assert sign_in(client, "kim.parks", "a long enough password").status_code == 303
    assert main(["liaison", "list"]) == 0
    assert re.search(r"kim\.parks\s+recreation_parks\s+active", capsys.readouterr().out)
    assert main(["liaison", "disable", "--username", "kim.parks"]) == 0
    assert client.get("/liaison/").status_code == 303


def test_cli_refuses_an_unknown_department_and_a_short_password(tmp_path: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    directory = tmp_path / "directory"
    directory.mkdir()
    (directory / "departments.yml").write_text("departments:\n  - key: library\n    name: Library\n", encoding="utf-8")
    monkeypatch.setenv("KYR_SECRET_KEY", SECRET)
    monkeypatch.setenv("KYR_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("KYR_DIRECTORY_DIR", str(directory))
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["liaison", "add", "--username", "x.parks", "--department", "parks", "--password-stdin"]) == 1
    assert "Valid keys:\n  library" in capsys.readouterr().err
    assert main(["liaison", "add", "--username", "x.lib", "--department", "library", "--password-stdin"]) == 1
    assert "at least 12" in capsys.readouterr().err
