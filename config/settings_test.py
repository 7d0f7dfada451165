"""Settings for the test suite: jobs run in-process (django-q2 sync mode), fast password hashing."""
import os

# Throwaway secrets for tests only (production refuses to start without real ones).
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtISE=")

from config.settings import *  # noqa: E402,F401,F403
from config.settings import DATABASES, Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BITBUCKET_BACKOFF = 0.01
BITBUCKET_TIMEOUT = 5.0

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    # A file, not SQLite's shared-cache memory database: concurrent workers then wait on the lock
    # (WAL, IMMEDIATE, timeout) exactly as in production instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"strata-test-{os.getpid()}.sqlite3")}  # noqa: F405
