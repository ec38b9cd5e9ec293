"""The gateway's Flask app factory.

>>> app = create_app(Settings.from_env({"KYR_SECRET_KEY": "k" * 32}))
>>> sorted(bp for bp in app.blueprints)
['chat', 'health', 'liaison', 'twilio_sms', 'twilio_voice', 'web']
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, jsonify
from flask_cors import CORS
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from bot import languages
from bot.choices import Offers
from bot.content_store import ContentStore
from bot.delivery import Deliverer, load_delivery_config
from bot.gateway_store import GatewayStore
from bot.liaisons import LiaisonStore, department_names
from bot.reports import ReportStore
from bot.settings import Settings
from bot.stores import LockReleaser
from connectors import liaison
from connectors.chat import bp as chat_bp
from connectors.health import bp as health_bp
from connectors.rasa_client import RasaClient
from connectors.twilio_rest import TwilioSender
from connectors.twilio_sms import bp as twilio_sms_bp
from connectors.twilio_voice import bp as twilio_voice_bp
from connectors.twilio_worker import SmsWorker
from connectors.web import bp as web_bp

__all__ = ["create_app"]

MAX_BODY_BYTES = 64 * 1024


def _start_delivery(app: Flask, settings: Settings, reports: ReportStore) -> None:
    """Deliver saved reports to the liaisons' e-mail and webhooks (KYR_DELIVERY_CONFIG), in the background."""
    if settings.delivery_config is None:
        return
    sinks, routing = load_delivery_config(settings.delivery_config)
    deliverer = Deliverer(reports, sinks, routing, agency_names=department_names(settings.directory_dir))
    app.extensions["kyr311"]["deliverer"] = deliverer
    deliverer.start()


def create_app(settings: Settings | None = None) -> Flask:
    """Build the gateway. Without `settings`, they are read from the environment."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    store = GatewayStore(settings.gateway_url, settings.secret_key)
    # On a shared database every gateway process must see the buttons any of them offered.
    offers = Offers(max_age_seconds=settings.session_max_age, store=store if settings.database_url else None)
    content = ContentStore(settings.locales_dir, settings.directory_dir)
    # With several Rasa instances, a killed one's conversation locks (in Redis) are freed at failover.
    on_dead = LockReleaser(settings.redis_url).release if settings.redis_url and settings.rasa_instances > 1 else None
    rasa = RasaClient(settings.rasa_urls, settings.actions_url, settings.rasa_timeout, on_dead=on_dead)
    worker = SmsWorker(settings, content, rasa, store, offers, TwilioSender(settings))
    app.extensions["kyr311"] = {
        "settings": settings, "offers": offers, "content": content, "rasa": rasa, "gateway_store": store, "sms_worker": worker,
    }
    if settings.twilio_auth_token:
        worker.start()
        # The SMS webhook chooses the language of each message: load the segmenters,
        # detectors and language names now rather than on a resident's message.
        threading.Thread(target=languages.warm_up, kwargs={"nlu_dir": settings.nlu_dir}, daemon=True).start()
    if settings.widget_origins:
        # Host pages on these origins may call the chat API from the widget; no cookies cross.
        CORS(app, resources={r"/chat/*": {"origins": list(settings.widget_origins)}},
             methods=["POST", "DELETE"], allow_headers=["Content-Type"], supports_credentials=False, max_age=600)
    app.register_blueprint(health_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(twilio_sms_bp)
    app.register_blueprint(twilio_voice_bp)
    try:  # the liaison inbox, on the reports database (KYR_DATABASE_URL, else SQLite in var/)
        reports = ReportStore(settings.reports_url, settings.secret_key)
        liaison.init_app(app, reports, LiaisonStore(settings.reports_url))
    except (SQLAlchemyError, OSError) as exc:  # residents are still answered without the inbox
        logging.getLogger(__name__).error("liaison inbox off: cannot open the reports database (%s)", type(exc).__name__)
    else:
        _start_delivery(app, settings, reports)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        # JSON for every error, and never the request's content in it.
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error={"code": code, "message": exc.description}), exc.code or 500

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
