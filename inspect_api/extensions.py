"""Extension instances, unbound: the app factory binds them."""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_migrate import Migrate

from .db import db
from .requests import client_address

migrate = Migrate()
jwt = JWTManager()
cors = CORS()
# No default limits: only login is throttled, and only its failures count.
limiter = Limiter(key_func=client_address, default_limits=[])

__all__ = ["cors", "db", "jwt", "limiter", "migrate"]
