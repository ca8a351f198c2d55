"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from inspect_api.app import create_app

app = create_app()
