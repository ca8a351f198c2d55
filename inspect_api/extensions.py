"""Extension instances, unbound: the app factory binds them."""

from flask_cors import CORS
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from .auth.verified_tokens import CachingJWTManager
from .db import db

migrate = Migrate()
jwt = CachingJWTManager()
cors = CORS()
# The web console's forms only (WTF_CSRF_CHECK_DEFAULT is off; console/views.py checks).
csrf = CSRFProtect()

__all__ = ["cors", "csrf", "db", "jwt", "migrate"]
