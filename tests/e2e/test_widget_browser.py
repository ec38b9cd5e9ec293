"""The chat widget in a real headless Chromium (Debian's), against the running stack.

Every step writes a screenshot to results/widget/. Run by `make e2e` (part of `make test`),
which installs chromium when run as root.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot import privacy, runner
from bot.content import load_catalog
from tests.e2e.conftest import HOST_PAGE_PORT, SECRET

pytestmark = pytest.mark.e2e

SHOTS = runner.PROJECT_ROOT / "results" / "widget"
EXIT_URL = "https://www.google.com/"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
REPLY_TIMEOUT = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: run 'make browser' (apt-get install chromium) or 'make test' as root")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 780}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(REPLY_TIMEOUT)
    # The closed network has no search engine: answer the Quick exit page locally.
    page.route(EXIT_URL + "**", lambda route: route.fulfill(body="<title>Search</title><p>neutral</p>", content_type="text/html"))
    page.add_init_script("window.__csp = [];"
                         " document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));")
    yield page
    context.close()


@pytest.fixture(scope="module")
def catalog(stack: dict[str, Any]) -> Any:
    settings = stack["settings"]
    return load_catalog(settings.locales_dir, settings.directory_dir)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def widget(page: Page) -> Locator:
    return page.locator("#kyr311-widget")


def bot_messages(page: Page) -> Locator:
    return widget(page).locator(".msg.bot")


def replied(page: Page, before: int) -> Locator:
    """Wait for the answer to the last message (one or more bubbles); return its first bubble."""
    expect(bot_messages(page).nth(before)).to_be_attached(timeout=REPLY_TIMEOUT)
    expect(widget(page).locator(".send")).to_be_enabled(timeout=REPLY_TIMEOUT)  # the whole reply is in
    return bot_messages(page).nth(before)


def ask(page: Page, text: str) -> Locator:
    """Type `text`, press Enter, and return the first new bot bubble that answers it."""
    before = bot_messages(page).count()
    box = widget(page).locator("textarea")
    box.fill(text)
    box.press("Enter")
    return replied(page, before)


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    widget(page).locator(".launcher").click()
    expect(widget(page).locator("textarea")).to_be_focused()


def test_ask_in_english_switch_to_farsi_follow_a_quick_reply(stack, page: Page, catalog) -> None:  # type: ignore[no-untyped-def]
    page.goto(stack["url"] + "/")
    shot(page, "01-demo-page")
    widget(page).locator(".launcher").click()
    shot(page, "02-widget-open")
    english = ask(page, "What do I do if immigration agents knock on my door?")
    assert english.get_attribute("lang") == "en" and english.get_attribute("data-topic") == "rights.home_visit"
    assert english.get_attribute("dir") == "ltr"
    assert widget(page).locator(".msg.bot .sources a").count() >= 1
    link = widget(page).locator(".msg.bot .sources a").first
    assert link.get_attribute("target") == "_blank" and "noopener" in (link.get_attribute("rel") or "")
    shot(page, "03-english-answer")

    widget(page).locator("select").select_option("fa")
    expect(widget(page).locator(".msg.bot[data-topic='conversation.language_set']")).to_have_count(1)
    panel = widget(page).locator(".panel")
    assert panel.get_attribute("dir") == "rtl" and panel.get_attribute("lang") == "fa"
    assert widget(page).locator("textarea").get_attribute("dir") == "rtl"
    assert widget(page).locator(".send").inner_text() == catalog.label("widget.send", "fa")
    farsi = ask(page, "hello")
    assert farsi.get_attribute("lang") == "fa" and farsi.get_attribute("dir") == "rtl"
    assert farsi.evaluate("n => getComputedStyle(n).direction") == "rtl"
    assert re.search(r"[\u0600-\u06FF]", farsi.inner_text())
    shot(page, "04-farsi-right-to-left")

    legal = catalog.label("menu.find_legal_help", "fa")
    before = bot_messages(page).count()
    farsi.get_by_role("button", name=legal).click()
    answer = replied(page, before)
    assert answer.get_attribute("data-topic") == "resources.legal_help" and answer.get_attribute("dir") == "rtl"
    assert widget(page).locator(".msg.user").last.inner_text().strip().endswith(legal)
    shot(page, "05-farsi-quick-reply")
    assert page.evaluate("window.__csp") == [], "the widget broke the page's Content-Security-Policy"


def _focused(page: Page) -> str:
    """The class of the element that has focus inside the widget ('' when outside it)."""
    return str(page.evaluate("() => { const h = document.getElementById('kyr311-widget');"
                             " return document.activeElement === h && h.shadowRoot.activeElement ? h.shadowRoot.activeElement.className"
                             " || h.shadowRoot.activeElement.tagName.toLowerCase() : ''; }"))


def test_the_whole_conversation_works_with_the_keyboard_alone(stack, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto(stack["url"] + "/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if _focused(page) == "launcher":
            break
    assert _focused(page) == "launcher", "Tab never reached the chat button"
    outline = page.evaluate("() => getComputedStyle(document.getElementById('kyr311-widget').shadowRoot.activeElement).outlineStyle")
    assert outline != "none", "the focused chat button shows no focus ring"
    page.keyboard.press("Enter")
    assert _focused(page) == "textarea"
    page.keyboard.type("help")
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(1)
    menu = bot_messages(page).first
    assert menu.locator(".replies button").count() >= 3
    page.keyboard.press("Shift+Tab")  # from the input back to the last quick reply
    assert _focused(page) == "" or page.evaluate(
        "() => document.getElementById('kyr311-widget').shadowRoot.activeElement.closest('.replies') !== null")
    page.keyboard.press("Enter")
    replied(page, 1)
    shot(page, "06-keyboard-only")
    page.keyboard.press("Escape")
    expect(widget(page).locator(".panel")).to_be_hidden()
    assert _focused(page) == "launcher"


def test_quick_exit_leaves_nothing_in_storage_history_or_the_server(stack, page: Page) -> None:  # type: ignore[no-untyped-def]
    start = stack["url"] + "/healthz"
    page.goto(start)
    open_widget(page, stack["url"] + "/")
    ask(page, "Where can I find a free lawyer?")
    widget(page).locator(".keep input").check()
    token = page.evaluate("JSON.parse(localStorage.getItem('kyr311.chat')).token")
    sender = privacy.conversation_id(SECRET, "web", URLSafeTimedSerializer(SECRET, salt="kyr311.chat-session").loads(token))
    tracker_db: Path = stack["settings"].tracker_db
    assert _events(tracker_db, sender) > 0
    shot(page, "07-before-quick-exit")

    widget(page).locator(".exit").click()
    page.wait_for_url(EXIT_URL)
    shot(page, "08-after-quick-exit")
    deadline = time.monotonic() + 10
    while _events(tracker_db, sender) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _events(tracker_db, sender) == 0, "the server kept the conversation after Quick exit"
    page.go_back()
    assert page.url == start, "the page with the chat is still in the back history"
    page.goto(stack["url"] + "/")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    widget(page).locator(".launcher").click()
    assert bot_messages(page).count() == 0 and widget(page).locator(".msg").count() == 0


def _events(db: Path, sender: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


def test_clear_chat_empties_the_conversation_and_storage(stack, page: Page) -> None:  # type: ignore[no-untyped-def]
    open_widget(page, stack["url"] + "/")
    ask(page, "hello")
    assert page.evaluate("sessionStorage.length") == 1 and page.evaluate("localStorage.length") == 0
    widget(page).locator(".clear").click()
    assert widget(page).locator(".msg").count() == 0
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    page.reload()
    widget(page).locator(".launcher").click()
    expect(widget(page).locator("textarea")).to_be_focused()
    assert widget(page).locator(".msg").count() == 0


def test_server_unreachable_is_said_in_the_residents_language_and_retry_works(stack, page: Page, catalog) -> None:  # type: ignore[no-untyped-def]
    page.route("**/chat/**", lambda route: route.abort())
    open_widget(page, stack["url"] + "/?lang=es")
    assert widget(page).locator(".send").inner_text() == catalog.label("widget.send", "es")
    box = widget(page).locator("textarea")
    box.fill("necesito un abogado")
    box.press("Enter")
    error = widget(page).locator(".msg.error")
    expect(error).to_have_count(1)
    assert error.get_attribute("lang") == "es"
    assert catalog.label("widget.unreachable", "es", **catalog.values) in error.inner_text()
    shot(page, "09-unreachable-spanish")
    page.unroute("**/chat/**")
    error.get_by_role("button", name=catalog.label("widget.retry", "es")).click()
    first = replied(page, 0)
    assert first.get_attribute("lang") == "es" and first.get_attribute("data-topic") == "resources.legal_help"
    assert widget(page).locator(".msg.error").count() == 0


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_axe_finds_no_violations_in_the_open_widget(stack, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    open_widget(page, f"{stack['url']}/?lang={lang}")
    ask(page, "hello")
    ask(page, "What are my rights if agents come to my door?")
    results = Axe().run(page)
    shot(page, f"10-axe-{lang}")
    assert results.violations_count == 0, results.generate_report()


def test_at_200_percent_zoom_nothing_is_cut_off(stack, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    # 200% zoom of a 640-pixel-wide window: 320 CSS pixels, the WCAG reflow width.
    context = browser.new_context(viewport={"width": 320, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(REPLY_TIMEOUT)
    try:
        open_widget(page, stack["url"] + "/?lang=ru")
        reply = ask(page, "Что делать, если агенты стучат в дверь?")
        reply.scroll_into_view_if_needed()
        expect(reply).to_be_in_viewport(ratio=0.2)  # a long answer: its visible part fills the screen
        shot(page, "11-zoom-200")
        overflow = page.evaluate("""() => {
            const root = document.getElementById('kyr311-widget').shadowRoot;
            const panel = root.querySelector('.panel');
            const cut = [...root.querySelectorAll('button, select, textarea, input')].filter(n => {
                const r = n.getBoundingClientRect(); return r.width > 0 && (r.left < 0 || r.right > innerWidth + 1);
            }).map(n => n.className || n.tagName);
            return {wide: panel.scrollWidth > panel.clientWidth + 1, cut};
        }""")
        assert overflow == {"wide": False, "cut": []}
    finally:
        context.close()


class _HostPage(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def host_site(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another origin whose page embeds the widget with one tag and hostile CSS."""
    root = tmp_path_factory.mktemp("host")
    (root / "index.html").write_text(
        "<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Host</title>"
        "<style>* { color: #f00 !important; font-size: 40px !important; } button { display: none !important; }</style></head>"
        f"<body><h1>Otra página</h1><script src='{stack['url']}/widget.js' data-lang='es' async></script></body></html>",
        encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", HOST_PAGE_PORT), partial(_HostPage, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{HOST_PAGE_PORT}/"
    server.shutdown()
    server.server_close()


def test_one_script_tag_on_another_origin_works_isolated_from_its_css(page: Page, host_site: str, catalog) -> None:  # type: ignore[no-untyped-def]
    open_widget(page, host_site)
    launcher = widget(page).locator(".launcher")
    assert launcher.inner_text() == catalog.label("widget.open", "es")
    assert launcher.evaluate("n => getComputedStyle(n).color") == "rgb(255, 255, 255)"
    reply = ask(page, "¿Qué hago si la migra toca a mi puerta?")
    assert reply.get_attribute("lang") == "es"
    assert reply.evaluate("n => getComputedStyle(n).color") != "rgb(255, 0, 0)"
    shot(page, "12-other-origin")
