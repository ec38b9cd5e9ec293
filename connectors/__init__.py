"""The gateway: the only process that faces the internet (Flask app factory and blueprints)."""
