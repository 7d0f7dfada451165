"""The profile page: personal API tokens for agents, created and revoked by their owner.

Creating redirects after the POST (a reload never makes a second token). The new token crosses
that redirect in the session, encrypted with FIELD_ENCRYPTION_KEYS, and is removed from it by
the page that shows it: it is shown exactly once and never kept in the clear.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from integrations.crypto import InvalidToken, decrypt, encrypt
from knowledge.forms import ApiTokenForm
from knowledge.selectors import api_token_for, api_tokens_for
from knowledge.services.api_tokens import api_token_create, api_token_revoke

NEW_TOKEN = "profile.new-token"


def _page(request: HttpRequest, form: ApiTokenForm, new_token: dict | None = None, status: int = 200) -> HttpResponse:
    return render(request, "knowledge/profile.html", {
        "tokens": api_tokens_for(user=request.user), "form": form, "new_token": new_token,
    }, status=status)


def _take_new_token(request: HttpRequest) -> dict | None:
    """The token created just before this page, once; None on every later view."""
    held = request.session.pop(NEW_TOKEN, None)
    if not isinstance(held, dict):
        return None
    try:
        return {"name": held["name"], "token": decrypt(held["token"])}
    except (KeyError, TypeError, InvalidToken):
        return None  # a key rotated meanwhile: the token works, it just cannot be shown again


@login_required
@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    return _page(request, ApiTokenForm(), new_token=_take_new_token(request))


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)  # nothing created; the name comes back as typed
    row, token = api_token_create(user=request.user, name=form.cleaned_data["name"])
    request.session[NEW_TOKEN] = {"name": row.name, "token": encrypt(token)}
    return redirect(reverse("profile") + "#new-token-card")


@login_required
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first; POST revokes. Another user's token id is a 404 either way."""
    token = api_token_for(user=request.user, token_id=pk)
    if request.method == "POST":
        if api_token_revoke(user=request.user, token_id=token.pk):
            messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        return redirect(reverse("profile") + "#api-tokens")
    if token.revoked_at:
        messages.info(request, f"Token “{token.name}” was already revoked.")
        return redirect(reverse("profile") + "#api-tokens")
    return render(request, "knowledge/confirm_token_revoke.html", {"token": token})
