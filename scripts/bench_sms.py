"""SMS webhook latency: POST /twilio/sms against the same bot reached directly through Rasa's REST channel.

Usage: python scripts/bench_sms.py [--seconds 20] [--concurrency 1 10]

Starts the trained model, the action server, Rasa and the gateway on loopback (ports
25005/25055/28000, a temporary var/), with a local stand-in for Twilio's REST API. For each
concurrency it runs `wrk` (a real load tool; Python clients add tens of milliseconds a
request here) for a bounded time against:
  - rasa:    POST /webhooks/rest/webhook on Rasa itself (the baseline),
  - gateway: POST /twilio/sms on the gateway, each request a new, correctly signed Twilio
             form with its own MessageSid (signature check, duplicate record, opt-out check,
             SMS shaping, then the same Rasa call).
Each of N connections is one conversation. Prints p50/p95/p99, requests per second and
non-2xx responses for each, then the ratios: gateway overhead at p95 = gateway / rasa.
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
from pathlib import Path

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import runner  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.conftest import FakeTwilio  # noqa: E402

TOKEN = "bench-twilio-token-" + "b" * 13
PUBLIC_URL = "https://kyr311.example.org"
MESSAGES = [
    "what should I do if ICE knocks on my door", "que hago si la migra toca mi puerta", "i need a free lawyer",
    "necesito un abogado gratis", "can i record ICE with my phone", "is LA a sanctuary city", "thank you",
    "如果ICE來敲門我該怎麼辦", "ICE가 집에 오면 어떻게 해요", "اگر ICE بیاد در خونه چیکار کنم",
]

LUA = r"""
local bodies, headers, i = {}, {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t")
    table.insert(headers, line:sub(1, tab - 1))
    table.insert(bodies, line:sub(tab + 1))
  end
end
function request()
  i = i + 1
  local n = ((i - 1) % #bodies) + 1
  local h = {["Content-Type"] = CONTENT_TYPE}
  if headers[n] ~= "-" then h["X-Twilio-Signature"] = headers[n] end
  return wrk.format("POST", PATH, h, bodies[n])
end
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT p50=%.1f p95=%.1f p99=%.1f rps=%.1f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
"""


def _form(fields: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def write_requests(path: Path, kind: str, connections: int, count: int) -> None:
    """One request a line: signature, tab, body. Conversation = request number mod connections."""
    validator = RequestValidator(TOKEN)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = MESSAGES[i % len(MESSAGES)]
            conversation = i % connections
            if kind == "rasa":
                body = json.dumps({"sender": f"bench-{conversation:04d}-{path.stem}", "message": text, "metadata": {"channel": "sms"}})
                out.write("-\t" + body + "\n")
                continue
            fields = {"MessageSid": f"SM{path.stem[:8]:>8}{i:024d}", "AccountSid": "AC" + "0" * 32,
                      "From": f"+1213{connections:03d}{conversation:04d}", "To": "+12135550100", "Body": text, "NumMedia": "0"}
            out.write(validator.compute_signature(PUBLIC_URL + "/twilio/sms", fields) + "\t" + _form(fields) + "\n")


def run_wrk(url: str, path: str, content_type: str, requests_file: Path, connections: int, seconds: int, work: Path) -> dict[str, float]:
    script = work / "bench.lua"
    script.write_text(LUA.replace("CONTENT_TYPE", json.dumps(content_type)).replace("PATH", json.dumps(path)), encoding="utf-8")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "20s", "-s", str(script), url, "--", str(requests_file)]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (.*)", output)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{output}")
    return {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--model", type=Path, help="a trained model (default: the one for the current inputs, trained if needed)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench-sms does it when run as root)")
    model = args.model or runner.ensure_model()
    twilio = FakeTwilio()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = Settings.from_env({
            "KYR_SECRET_KEY": "bench-" + "s" * 40, "KYR_VAR_DIR": str(work / "var"), "KYR_RASA_PORT": "25005",
            "KYR_ACTIONS_PORT": "25055", "KYR_GATEWAY_PORT": "28000", "KYR_TWILIO_AUTH_TOKEN": TOKEN,
            "KYR_TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "KYR_TWILIO_API_URL": twilio.url, "KYR_PUBLIC_URL": PUBLIC_URL,
        })
        os.environ["LOG_LEVEL"] = "WARNING"
        with (work / "services.log").open("wb") as log:
            processes = runner.start_services(settings, model, log)
            try:
                deadline = time.monotonic() + 300
                while not runner.healthy(settings):
                    if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                        raise SystemExit("services did not start:\n" + (work / "services.log").read_text(errors="replace")[-2000:])
                    time.sleep(1)
                runner.warm_up(settings)
                results = bench(settings, args, work)
            finally:
                runner.stop_services(processes)
                twilio.close()
    print(f"{'target':8} {'conns':>5} {'p50_ms':>8} {'p95_ms':>8} {'p99_ms':>8} {'req/s':>8} {'errors':>6}")
    for (target, conns), r in results.items():
        print(f"{target:8} {conns:5d} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.1f} {int(r['errors']):6d}")
    for conns in args.concurrency:
        ours, plain = results[("gateway", conns)], results[("rasa", conns)]
        print(f"conns={conns} p95_ratio={ours['p95'] / plain['p95']:.3f} throughput_ratio={ours['rps'] / plain['rps']:.3f}")
    return 0


def bench(settings: Settings, args: argparse.Namespace, work: Path) -> dict[tuple[str, int], dict[str, float]]:
    rasa_url = f"http://127.0.0.1:{settings.rasa_port}"
    gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
    results: dict[tuple[str, int], dict[str, float]] = {}
    for conns in args.concurrency:
        for target in ("rasa", "gateway"):
            requests_file = work / f"{target}{conns:03d}.txt"
            write_requests(requests_file, target, conns, count=20000)
            if target == "rasa":
                results[(target, conns)] = run_wrk(rasa_url, "/webhooks/rest/webhook", "application/json", requests_file, conns,
                                                   args.seconds, work)
            else:
                results[(target, conns)] = run_wrk(gateway_url, "/twilio/sms", "application/x-www-form-urlencoded", requests_file,
                                                   conns, args.seconds, work)
            print(f"{target} at {conns} conversations: {results[(target, conns)]}", file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    sys.exit(main())
