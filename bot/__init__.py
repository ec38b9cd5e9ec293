"""Pure domain logic of the Know-Your-Rights assistant: content, languages, privacy, settings.

Nothing here imports rasa, rasa_sdk or flask; `actions/` and `connectors/` adapt it.
"""
