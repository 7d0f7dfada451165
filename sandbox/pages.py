"""The HTML of the OAuth consent page (with a "Bitbucket user" choice) and of web-host error pages."""
from __future__ import annotations

from html import escape

from sandbox.model import Consumer, User

SCOPE_WORDS = {
    "account": "Read your account information",
    "email": "Read your email addresses",
    "repository": "Read your repositories",
    "repository:write": "Read and modify your repositories",
    "pullrequest": "Read your repositories and their pull requests",
    "pullrequest:write": "Read and modify your repositories and their pull requests",
    "pipeline": "Read your pipelines",
    "webhook": "Read and modify your repositories' webhooks",
}

STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#172b4d;margin:0}
main{max-width:480px;margin:48px auto;background:#fff;border-radius:6px;padding:32px;
box-shadow:0 1px 3px rgba(9,30,66,.25)}
h1{font-size:20px;margin:0 0 16px} .brand{color:#0052cc;font-weight:700;margin-bottom:24px}
ul{padding-left:20px} label{display:block;font-weight:600;margin:16px 0 4px}
select{width:100%;padding:6px} .actions{margin-top:24px;display:flex;gap:8px}
button{padding:8px 16px;border-radius:3px;border:0;font-size:14px;cursor:pointer}
button.primary{background:#0052cc;color:#fff} button.secondary{background:#f4f5f7;color:#42526e}
.note{color:#6b778c;font-size:12px;margin-top:16px}
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
            f"</title><style>{STYLE}</style></head><body><main><div class=\"brand\">Bitbucket</div>"
            f"{body}</main></body></html>")


def authorize(consumer: Consumer, users: list[User], fields: dict[str, str]) -> str:
    """The consent page. `fields` (client_id, state, redirect_uri, response_type) ride along hidden."""
    scopes = "".join(f"<li>{escape(SCOPE_WORDS.get(s, s))}</li>" for s in consumer.scopes.split())
    options = "".join(
        f"<option value=\"{escape(u.nickname)}\">{escape(u.display_name)} ({escape(u.nickname)})</option>"
        for u in users)
    hidden = "".join(f"<input type=\"hidden\" name=\"{escape(k)}\" value=\"{escape(v)}\">"
                     for k, v in fields.items() if v is not None)
    body = f"<h1>{escape(consumer.name)} is requesting access to your Bitbucket account</h1>"
    if consumer.description:
        body += f"<p>{escape(consumer.description)}</p>"
    body += (f"<p>This app will be able to:</p><ul>{scopes}</ul>"
             f"<form method=\"post\" action=\"/site/oauth2/authorize\">{hidden}"
             f"<label for=\"user\">Bitbucket user</label>"
             f"<select id=\"user\" name=\"user\">{options}</select>"
             f"<div class=\"actions\">"
             '<button class="primary" type="submit" name="decision" value="grant">Grant access</button>'
             '<button class="secondary" type="submit" name="decision" value="cancel">Cancel</button>'
             f"</div></form><p class=\"note\">Bitbucket sandbox: choose which seeded user grants access.</p>")
    return _page(f"Grant access to {consumer.name} | Bitbucket", body)


def error(title: str, message: str) -> str:
    return _page(f"{title} | Bitbucket", f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
