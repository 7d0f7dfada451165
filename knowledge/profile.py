"""The profile page: personal API tokens for agents, created and revoked by their owner."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowledge.models import ApiToken
from knowledge.services.tokens import api_token_create, api_token_revoke


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    new_token = request.session.pop("new_api_token", None)
    return render(request, "knowledge/profile.html", {"tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    row, token = api_token_create(user=request.user, name=request.POST.get("name", ""))
    # Shown on the next page load only; never stored in plain text.
    request.session["new_api_token"] = {"name": row.name, "token": token}
    return redirect("profile")


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, "Token revoked: it no longer works.")
    return redirect("profile")
