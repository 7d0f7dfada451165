"""Links to a repository, a file and a line on Bitbucket's website (BITBUCKET_WEB_URL)."""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings


def _base(full_name: str) -> str:
    return f"{settings.BITBUCKET_WEB_URL.rstrip('/')}/{quote(full_name, safe='/')}"


def bitbucket_repository_url(full_name: str) -> str:
    return _base(full_name)


def bitbucket_file_url(full_name: str, commit: str, path: str, line: int | None = None) -> str:
    """The file at that commit (Bitbucket's `/src/{commit}/{path}`), at a line with `#lines-N`."""
    url = f"{_base(full_name)}/src/{quote(commit, safe='')}/{quote(path, safe='/')}"
    return f"{url}#lines-{line}" if line else url
