"""Shared by the sandbox tests: the seeded credentials, the OAuth dance, and a local webhook receiver."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

# From sandbox/seeds/test.json.
ALICE = ("alice@example.com", "ATATT3xFfGF0-alice-all-scopes-5f1c9a")
ALICE_NO_REPOSITORY = ("alice@example.com", "ATATT3xFfGF0-alice-no-repository-7d2e4b")
BOB = ("bob@example.com", "ATATT3xFfGF0-bob-all-scopes-9b3f0c")
CLIENT = ("strata-test", "strata-test-secret")
CALLBACK_CLIENT = ("strata-callback", "strata-callback-secret")
CALLBACK_URL = "http://127.0.0.1:8000/accounts/bitbucket_oauth2/login/callback/"
REDIRECT = "http://127.0.0.1:9/callback"


def get(sandbox, path: str, auth=ALICE, **kwargs) -> requests.Response:
    """GET on the sandbox; `auth` is a Basic pair, or a string taken as a Bearer token."""
    headers = kwargs.pop("headers", {})
    if isinstance(auth, str):
        headers["Authorization"] = f"Bearer {auth}"
        auth = None
    url = path if path.startswith("http") else sandbox.url + path
    return requests.get(url, auth=auth, headers=headers, timeout=kwargs.pop("timeout", 10),
                        allow_redirects=kwargs.pop("allow_redirects", False), **kwargs)


def send(sandbox, method: str, path: str, auth=ALICE, **kwargs) -> requests.Response:
    return requests.request(method, sandbox.url + path, auth=auth, timeout=10, **kwargs)


def authorize(sandbox, *, user: str = "alice", decision: str = "grant", client=CLIENT,
              state: str = "s-123", redirect_uri: str | None = REDIRECT) -> dict[str, list[str]]:
    """Submit the consent form the way a browser would; the query of the redirect it answers."""
    fields = {"client_id": client[0], "response_type": "code", "state": state, "user": user,
              "decision": decision}
    if redirect_uri:
        fields["redirect_uri"] = redirect_uri
    answer = requests.post(sandbox.url + "/site/oauth2/authorize", data=fields,
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def token_request(sandbox, data: dict, client=CLIENT) -> requests.Response:
    return requests.post(sandbox.url + "/site/oauth2/access_token", data=data, auth=client, timeout=10)


def oauth_tokens(sandbox, user: str = "alice") -> dict:
    code = authorize(sandbox, user=user)["code"][0]
    answer = token_request(sandbox, {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": REDIRECT})
    assert answer.status_code == 200, answer.text
    return answer.json()


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the consent page."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook endpoint on 127.0.0.1: records what arrives, answers with `statuses` in turn (then
    200). With `hold_first`, the first request waits (until `release()`) so the sender times out."""

    def __init__(self, statuses: list[int] | None = None, hold_first: bool = False):
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.released = threading.Event()
        self.hold_first = hold_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(Received(dict(self.headers.items()), body))
                if receiver.hold_first and len(receiver.received) == 1:
                    receiver.released.wait(timeout=15)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass     # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
