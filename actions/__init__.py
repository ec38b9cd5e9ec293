"""Rasa SDK actions: thin adapters from a Rasa tracker to the content and languages in `bot/`."""
