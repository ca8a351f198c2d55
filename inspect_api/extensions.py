"""Extension instances, unbound: the app factory binds them."""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from .db import db

migrate = Migrate()
jwt = JWTManager()
cors = CORS()
# The web console's forms only (WTF_CSRF_CHECK_DEFAULT is off; console/views.py checks).
csrf = CSRFProtect()

__all__ = ["cors", "csrf", "db", "jwt", "migrate"]
