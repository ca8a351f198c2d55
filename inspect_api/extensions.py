"""Extension instances, unbound: the app factory binds them."""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate

from .db import db

migrate = Migrate()
jwt = JWTManager()
cors = CORS()

__all__ = ["cors", "db", "jwt", "migrate"]
