"""Which content answers which intent, and which choices a menu offers.

>>> topic_for("rights_home_visit"), topic_for("emergency_now")
('rights.home_visit', 'urgent.emergency')
"""

from __future__ import annotations

__all__ = ["MENU", "TOPICS", "topic_for"]

TOPICS: dict[str, str] = {
    "emergency_now": "urgent.emergency",
    "rights_home_visit": "rights.home_visit",
    "rights_warrant": "rights.warrant",
    "rights_remain_silent": "rights.remain_silent",
    "rights_stopped_public": "rights.stopped_public",
    "rights_workplace": "rights.workplace",
    "rights_detained": "rights.detained",
    "rights_record_agents": "rights.record_agents",
    "rights_city_services": "rights.city_services",
    "rights_local_police": "rights.local_police",
    "rights_city_policy": "rights.city_policy",
    "rights_sensitive_places": "rights.sensitive_places",
    "family_preparedness": "rights.family_preparedness",
    "find_legal_help": "resources.legal_help",
    "find_rapid_response": "resources.rapid_response",
    "find_support_services": "resources.support_services",
    "inform_location": "resources.location",
    "report_enforcement": "reports.enforcement",
    "report_police_cooperation": "reports.police_cooperation",
    "report_hate_incident": "reports.hate_incident",
    "ask_privacy": "conversation.privacy",
    "talk_to_human": "conversation.human",
    "help_menu": "conversation.menu",
    "greet": "conversation.greet",
    "goodbye": "conversation.goodbye",
    "thank": "conversation.thank",
    "affirm": "conversation.affirm",
    "deny": "conversation.deny",
    "bot_challenge": "conversation.bot_challenge",
    "out_of_scope": "conversation.out_of_scope",
}

# The intents a menu offers as buttons, in order; each has a label `menu.<intent>`.
MENU: tuple[str, ...] = (
    "emergency_now",
    "rights_home_visit",
    "rights_remain_silent",
    "rights_detained",
    "family_preparedness",
    "find_legal_help",
    "report_enforcement",
    "talk_to_human",
    "change_language",
)

# Answers that end with the menu, so a resident always has a next step.
WITH_MENU = frozenset({"conversation.greet", "conversation.menu", "conversation.affirm", "conversation.fallback_menu"})


def topic_for(intent: str | None) -> str | None:
    """The content key that answers `intent`, or None."""
    return TOPICS.get(intent or "")
