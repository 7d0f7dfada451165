"""Settings for the test suite: jobs run in-process (django-q2 sync mode), fast password hashing."""
from config.settings import *  # noqa: F401,F403
from config.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BITBUCKET_BACKOFF = 0.01
BITBUCKET_TIMEOUT = 5.0
