"""Where reports are delivered: the sinks (SMTP, webhook) and the routing to liaisons, read from a YAML file.

`bot.delivery` sends through what `load_delivery_config` returns. Secrets can be kept in their
own files (`password_file`, `secret_file`, relative to the configuration file).

The configuration file (YAML; see docs/delivery.example.yml)::

    sinks:                          # any number; `name` is what the outbox records, keep it stable
      - name: email
        type: smtp
        host: smtp.example.org
        port: 587
        sender: kyr311-reports@example.org
        starttls: true              # or `tls: true` for implicit TLS (port 465); default plain
        username: kyr311            # optional; then `password` or `password_file`
        password_file: /run/secrets/kyr311_smtp
        timeout: 10                 # seconds, optional
      - name: city-crm
        type: webhook
        url: https://crm.example.org/kyr311/reports   # https (http only to localhost)
        secret_file: /run/secrets/kyr311_webhook      # or `secret`; signs the body (X-KYR311-Signature)
        include_contact: false      # send the resident's opted-in contact too (default false)
    routing:
      general: [immigrant-affairs@example.org]        # reports with no department or no liaison
      liaisons:                     # department key (data/directory/departments.yml) -> addresses
        recreation_parks: [liaison.parks@example.org]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = ["DeliveryConfigError", "Routing", "SmtpSink", "WebhookSink", "load_delivery_config"]

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # as bot.reports accepts for a sink name


class DeliveryConfigError(ValueError):
    """The delivery configuration is invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class SmtpSink:
    """E-mail to the liaisons of the report's department, through an SMTP relay."""

    name: str
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    tls: bool = False  # implicit TLS (SMTPS, usually port 465)


@dataclass(frozen=True)
class WebhookSink:
    """A signed JSON POST of every report to one URL (for example a 311 CRM)."""

    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    include_contact: bool = False


@dataclass(frozen=True)
class Routing:
    """Who receives the e-mail: each department's liaisons, and the general recipients."""

    liaisons: Mapping[str, Sequence[str]]
    general_recipients: Sequence[str]

    def recipients(self, department: str | None) -> list[str]:
        """The department's liaison addresses, or the general recipients when it has none."""
        return list((self.liaisons.get(department) if department else None) or self.general_recipients)


def _field(entry: Mapping[str, Any], key: str, kind: type, where: str, default: Any = ..., base: Path | None = None) -> Any:
    if base is not None and f"{key}_file" in entry:  # a secret kept in its own file (e.g. /run/secrets/...)
        secret_path = base / str(entry[f"{key}_file"])
        try:
            return secret_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DeliveryConfigError(f"{where}.{key}_file: cannot read {secret_path} ({exc.strerror})") from None
    if key not in entry:
        if default is ...:
            raise DeliveryConfigError(f"{where}.{key}: missing; add it")
        return default
    value = entry[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DeliveryConfigError(f"{where}.{key}: must be {'a whole number' if kind is int else 'a ' + kind.__name__}, got {value!r}")
    return value


def _addresses(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(a, str) and "@" in a and " " not in a.strip() for a in value):
        raise DeliveryConfigError(f"{where}: must be a list of e-mail addresses")
    return [a.strip() for a in value]


def _sink(entry: Any, where: str, base: Path) -> SmtpSink | WebhookSink:
    if not isinstance(entry, dict):
        raise DeliveryConfigError(f"{where}: must be a mapping with name and type")
    name, kind = _field(entry, "name", str, where), _field(entry, "type", str, where)
    if not _NAME.fullmatch(name):
        raise DeliveryConfigError(f"{where}.name: use letters, digits, '_', '.' or '-' (at most 64), got {name!r}")
    timeout = _field(entry, "timeout", float, where, 10.0)
    if kind == "smtp":
        port = _field(entry, "port", int, where)
        if not 0 < port < 65536:
            raise DeliveryConfigError(f"{where}.port: must be between 1 and 65535")
        sender = _addresses([_field(entry, "sender", str, where)], f"{where}.sender")[0]
        return SmtpSink(name, _field(entry, "host", str, where), port, sender,
                        _field(entry, "starttls", bool, where, False), _field(entry, "username", str, where, None),
                        _field(entry, "password", str, where, None, base), timeout, _field(entry, "tls", bool, where, False))
    if kind == "webhook":
        url = _field(entry, "url", str, where)
        parts = urlsplit(url)
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))):
            raise DeliveryConfigError(f"{where}.url: must be an https URL (http only to localhost), got {url!r}")
        return WebhookSink(name, url, _field(entry, "secret", str, where, None, base), timeout,
                           _field(entry, "include_contact", bool, where, False))
    raise DeliveryConfigError(f"{where}.type: must be smtp or webhook, got {kind!r}")


def load_delivery_config(path: Path) -> tuple[list[SmtpSink | WebhookSink], Routing]:
    """Read the sinks and routing from a YAML file (format in this module's docstring)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeliveryConfigError(f"{path}: cannot read the delivery configuration ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DeliveryConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sinks"), list):
        raise DeliveryConfigError(f"{path}: must be a mapping with a list `sinks` and a mapping `routing`")
    try:
        sinks = [_sink(entry, f"sinks[{i}]", path.parent) for i, entry in enumerate(data["sinks"])]
        if len({s.name for s in sinks}) != len(sinks):
            raise DeliveryConfigError("sinks: two sinks have the same name; names must be unique")
        routing = data.get("routing") or {}
        liaisons = (routing.get("liaisons") or {}) if isinstance(routing, dict) else None
        if not isinstance(liaisons, dict):
            raise DeliveryConfigError("routing.liaisons: must map department keys to lists of e-mail addresses")
        general = _addresses(routing.get("general") or [], "routing.general")
        if not general and any(isinstance(s, SmtpSink) for s in sinks):
            raise DeliveryConfigError("routing.general: an smtp sink needs at least one address for reports without a liaison")
        return sinks, Routing({str(k): _addresses(v, f"routing.liaisons.{k}") for k, v in liaisons.items()}, general)
    except DeliveryConfigError as exc:
        raise DeliveryConfigError(f"{path}: {exc}") from None
