"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from inspect_api.app import create_app
from inspect_api.serving import tune_garbage_collector

app = create_app()
tune_garbage_collector()
