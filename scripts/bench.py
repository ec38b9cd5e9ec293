"""Load benchmark: our stack against the plain Rasa bot that `rasa init` writes, in one run.

Usage: python scripts/bench.py [--seconds 15] [--concurrency 1 10 50] [--scaled]

Starts, on loopback only:
  - plain: the bot `rasa init` writes (its default pipeline and policies, in-memory trackers),
           reached through Rasa's REST channel (port 25105); trained once and kept in
           var/bench/ (the project `rasa init` writes depends only on the Rasa version);
  - ours:  the action server, Rasa and the gateway as `make run` starts them (ports 25055,
           25005, 28000; SQLite in a temporary var/), or with --scaled two Rasa instances on
           throwaway PostgreSQL and Redis (run under scripts/with-postgres.sh and with-redis.sh),
           with a local stand-in for Twilio's REST API.
For each number of concurrent conversations it runs `wrk` (a real load tool: Python clients
add 50-100 ms a request here) for a bounded time against each target in turn:
  - plain: POST /webhooks/rest/webhook on the plain bot,
  - sms:   POST /twilio/sms on the gateway: correctly signed Twilio forms, each with its own
           MessageSid (signature check, duplicate record, opt-out, language, SMS shaping);
  - chat:  POST /chat/sessions/<token>/messages on the gateway (server-issued tokens).
Each wrk thread holds one connection and is one conversation, so a conversation's messages
never overlap and it grows longer as the run goes on. A reply counts as an error when its
status is not 200, when it is not a real answer (an SMS reply without a <Message>, a chat
reply that is the "assistant unavailable" fallback), or when an SMS answer came too late
for the webhook and was texted afterwards (counted at the stand-in for Twilio).

Prints p50/p95/p99 (ms), errors, messages per second and resident memory (MB, the summed
peak of the target's processes) for every target and concurrency, then as its last line
the ratios at 10 conversations, ours (the worse of sms and chat) over plain:
`p95_ratio=<ours/plain> throughput_ratio=<ours/plain>`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import runner  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.conftest import FakeTwilio  # noqa: E402

TOKEN = "bench-twilio-token-" + "b" * 13
PUBLIC_URL = "https://kyr311.example.org"
PLAIN_PORT = 25105
# What residents send: questions in several languages and scripts, a thank-you, a greeting.
MESSAGES = [
    "what should I do if ICE knocks on my door", "que hago si la migra toca mi puerta", "i need a free lawyer",
    "necesito un abogado gratis", "can i record ICE with my phone", "hello", "is LA a sanctuary city", "thank you",
    "如果ICE來敲門我該怎麼辦", "ICE가 집에 오면 어떻게 해요", "اگر ICE بیاد در خونه چیکار کنم", "do I have to open the door",
]

# One wrk thread = one connection = one conversation, reading its own requests file.
LUA = r"""
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  paths, headers, bodies, n, bad, wrapped = {}, {}, {}, 0, 0, 0
  for line in io.lines(args[1] .. "/" .. id .. ".txt") do
    local a, b = line:find("\t", 1, true), nil
    b = line:find("\t", a + 1, true)
    table.insert(paths, line:sub(1, a - 1))
    table.insert(headers, line:sub(a + 1, b - 1))
    table.insert(bodies, line:sub(b + 1))
  end
end
function request()
  n = n + 1
  if n > #bodies then n, wrapped = 1, wrapped + 1 end
  local h = {["Content-Type"] = CONTENT_TYPE}
  if headers[n] ~= "-" then h["X-Twilio-Signature"] = headers[n] end
  return wrk.format("POST", paths[n], h, bodies[n])
end
function response(status, hdrs, body)
  if status ~= 200 or not body:find(MUST, 1, true) or (MUST_NOT ~= "" and body:find(MUST_NOT, 1, true)) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total, wrapped_total = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    wrapped_total = wrapped_total + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format("RESULT p50=%.1f p95=%.1f p99=%.1f rps=%.2f requests=%d errors=%d wrapped=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    bad_total + e.connect + e.read + e.write + e.timeout, wrapped_total))
end
"""
TARGETS = {  # content type, what a real answer contains, what it must not contain
    "plain": ("application/json", "[", ""),  # the plain bot has nothing to say to some messages: still a reply
    "sms": ("application/x-www-form-urlencoded", "<Message>", ""),
    "chat": ("application/json", '"topic"', "system.unavailable"),
}


def post_json(url: str, body: object, timeout: float = 120.0) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def write_requests(folder: Path, target: str, conversations: int, per_conversation: int, gateway_url: str) -> None:
    """One file per conversation, a request a line: path, tab, signature (or -), tab, body."""
    folder.mkdir(parents=True)
    validator = RequestValidator(TOKEN)
    for c in range(conversations):
        token = ""
        if target == "chat":
            token = str(post_json(f"{gateway_url}/chat/sessions", {})["session"])  # type: ignore[index]
        with (folder / f"{c}.txt").open("w", encoding="utf-8") as out:
            for i in range(per_conversation):
                text = MESSAGES[(c + i) % len(MESSAGES)]
                if target == "plain":
                    body = json.dumps({"sender": f"{folder.name}-{c}", "message": text}, ensure_ascii=False)
                    out.write(f"/webhooks/rest/webhook\t-\t{body}\n")
                elif target == "chat":
                    out.write(f"/chat/sessions/{token}/messages\t-\t{json.dumps({'text': text}, ensure_ascii=False)}\n")
                else:
                    fields = {"MessageSid": f"SM{conversations:04d}{c:06d}{i:022d}", "AccountSid": "AC" + "0" * 32,
                              "From": f"+1310{conversations:03d}{c:04d}", "To": "+12135550100", "Body": text, "NumMedia": "0"}
                    signature = validator.compute_signature(PUBLIC_URL + "/twilio/sms", fields)
                    out.write(f"/twilio/sms\t{signature}\t{urlencode(fields)}\n")


def warm_gateway(gateway_url: str) -> None:
    """Send every message once through each path, as residents would before the load arrives."""
    token = str(post_json(f"{gateway_url}/chat/sessions", {})["session"])  # type: ignore[index]
    validator = RequestValidator(TOKEN)
    for i, text in enumerate(MESSAGES):
        post_json(f"{gateway_url}/chat/sessions/{token}/messages", {"text": text})
        fields = {"MessageSid": f"SMwarm{i:028d}", "AccountSid": "AC" + "0" * 32, "From": "+13109999999", "To": "+12135550100",
                  "Body": text, "NumMedia": "0"}
        request = urllib.request.Request(f"{gateway_url}/twilio/sms", data=urlencode(fields).encode(), headers={
            "X-Twilio-Signature": validator.compute_signature(PUBLIC_URL + "/twilio/sms", fields)})
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()


def run_wrk(base_url: str, target: str, folder: Path, conversations: int, seconds: int) -> dict[str, float]:
    content_type, must, must_not = TARGETS[target]
    script = folder.parent / f"{folder.name}.lua"
    script.write_text(LUA.replace("CONTENT_TYPE", json.dumps(content_type)).replace("MUST_NOT", json.dumps(must_not))
                      .replace("MUST", json.dumps(must)), encoding="utf-8")
    cmd = ["wrk", f"-t{conversations}", f"-c{conversations}", f"-d{seconds}s", "--timeout", "20s", "-s", str(script),
           base_url, "--", str(folder)]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (.*)", output)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    if result["wrapped"]:
        raise SystemExit(f"{target}: a conversation ran out of prepared requests; raise the per-conversation count")
    return result


def peak_rss_mb(pids: list[int]) -> float:
    """The summed peak resident memory (VmHWM) of these processes, in MB."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def plain_model(rasa_bin: Path) -> tuple[Path, Path]:
    """The `rasa init` project and its trained model, made once per Rasa version."""
    project = ROOT / "var" / "bench" / f"plain-rasa-{runner.rasa_version()}"
    models = sorted((project / "models").glob("*.tar.gz")) if project.exists() else []
    if models:
        return project, models[-1]
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    print(f"Writing and training the plain `rasa init` bot in {project} (once; a few minutes) ...", file=sys.stderr, flush=True)
    subprocess.run([str(rasa_bin), "init", "--no-prompt", "--init-dir", str(project)], cwd=project, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    return project, sorted((project / "models").glob("*.tar.gz"))[-1]


def wait_until(check: object, processes: list[subprocess.Popen[bytes]], log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise SystemExit("services did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(1)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def plain_bot(work: Path) -> Iterator[tuple[str, list[int]]]:
    project, model = plain_model(ROOT / ".venv" / "bin" / "rasa")
    log = work / "plain.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "rasa"), "run", "--model", str(model), "--interface", "127.0.0.1",
             "--port", str(PLAIN_PORT)], cwd=project, stdout=out, stderr=out,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "LOG_LEVEL": "WARNING"})
        try:
            url = f"http://127.0.0.1:{PLAIN_PORT}"
            wait_until(lambda: answers(url + "/"), [process], log)
            for text in MESSAGES:  # warm up, in a conversation of its own
                post_json(url + "/webhooks/rest/webhook", {"sender": "warm-up", "message": text})
            yield url, [process.pid]
        finally:
            runner.stop_services([process])


@contextmanager
def our_stack(work: Path, scaled: bool) -> Iterator[tuple[str, list[int], FakeTwilio]]:
    twilio = FakeTwilio()
    env = {
        "KYR_SECRET_KEY": "bench-" + "s" * 40, "KYR_VAR_DIR": str(work / "var"), "KYR_RASA_PORT": "25005",
        "KYR_ACTIONS_PORT": "25055", "KYR_GATEWAY_PORT": "28000", "KYR_TWILIO_AUTH_TOKEN": TOKEN,
        "KYR_TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "KYR_TWILIO_API_URL": twilio.url, "KYR_PUBLIC_URL": PUBLIC_URL,
    }
    if scaled:
        if not (os.environ.get("KYR_TEST_DATABASE_URL") and os.environ.get("KYR_TEST_REDIS_URL")):
            raise SystemExit("--scaled needs PostgreSQL and Redis: run under scripts/with-postgres.sh scripts/with-redis.sh")
        env |= {"KYR_DATABASE_URL": os.environ["KYR_TEST_DATABASE_URL"], "KYR_REDIS_URL": os.environ["KYR_TEST_REDIS_URL"],
                "KYR_RASA_INSTANCES": "2"}
    settings = Settings.from_env(env)
    model = runner.ensure_model()
    log = work / "services.log"
    with log.open("wb") as out:
        processes = runner.start_services(settings, model, out)
        try:
            wait_until(lambda: runner.healthy(settings), processes, log)
            runner.warm_up(settings)
            warm_gateway(f"http://127.0.0.1:{settings.gateway_port}")
            yield f"http://127.0.0.1:{settings.gateway_port}", [p.pid for p in processes], twilio
        finally:
            runner.stop_services(processes)
            twilio.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="how long each target is loaded at each concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--scaled", action="store_true", help="two Rasa instances on PostgreSQL and Redis")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it when run as root)")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with plain_bot(work) as (plain_url, plain_pids), our_stack(work, args.scaled) as (gateway_url, our_pids, twilio):
            for conversations in args.concurrency:
                per_conversation = args.seconds * 400 // conversations + 50  # more than any target sends
                for target in ("plain", "sms", "chat"):
                    folder = work / f"{target}{conversations:03d}"
                    write_requests(folder, target, conversations, per_conversation, gateway_url)
                    late_before = len(twilio.sent)
                    result = run_wrk(plain_url if target == "plain" else gateway_url, target, folder, conversations, args.seconds)
                    result["errors"] += len(twilio.sent) - late_before  # SMS answers that missed the webhook
                    result["rss_mb"] = peak_rss_mb(plain_pids if target == "plain" else our_pids)
                    results[(target, conversations)] = result
                    print(f"{target} at {conversations} conversations: {result}", file=sys.stderr, flush=True)
    report(results, args.concurrency)
    return 0


def report(results: dict[tuple[str, int], dict[str, float]], concurrency: list[int]) -> None:
    print(f"{'target':6} {'convs':>5} {'p50_ms':>8} {'p95_ms':>8} {'p99_ms':>8} {'msgs/s':>8} {'errors':>6} {'requests':>8} {'rss_mb':>7}")
    for (target, conversations), r in results.items():
        print(f"{target:6} {conversations:5d} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.2f} "
              f"{int(r['errors']):6d} {int(r['requests']):8d} {r['rss_mb']:7.0f}")
    for conversations in concurrency:
        plain = results[("plain", conversations)]
        ratios = {t: (results[(t, conversations)]["p95"] / plain["p95"], results[(t, conversations)]["rps"] / plain["rps"])
                  for t in ("sms", "chat")}
        print(f"at {conversations} conversations: " + ", ".join(f"{t} p95_ratio={p:.3f} throughput_ratio={r:.3f}"
                                                                for t, (p, r) in ratios.items()))
    at = 10 if 10 in concurrency else concurrency[0]
    plain = results[("plain", at)]
    worst_p95 = max(results[(t, at)]["p95"] for t in ("sms", "chat")) / plain["p95"]
    worst_rps = min(results[(t, at)]["rps"] for t in ("sms", "chat")) / plain["rps"]
    print(f"p95_ratio={worst_p95:.3f} throughput_ratio={worst_rps:.3f}")


if __name__ == "__main__":
    sys.exit(main())
