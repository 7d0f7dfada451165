"""Settings for the test suite: jobs run in-process (django-q2 sync mode), fast password hashing."""
from config.settings import *  # noqa: F401,F403
from config.settings import DATABASES, Q_CLUSTER

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
