"""The profile page: personal API tokens for agents, created and revoked by their owner."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config import inputs
from knowledge.models import ApiToken
from knowledge.services.tokens import api_token_create, api_token_revoke


def _page(request: HttpRequest, new_token: dict | None = None, status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "knowledge/profile.html", {"tokens": tokens, "new_token": new_token}, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    row, token = api_token_create(user=request.user, name=inputs.text(request.POST.get("name"), limit=100))
    # Shown in this answer only: the plain token is never stored, not even in the session.
    return _page(request, {"name": row.name, "token": token}, status=201)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, "Token revoked: it no longer works.")
    return redirect("profile")
