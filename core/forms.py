"""Account forms where Strata is stricter than allauth's defaults."""
from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm
from allauth.account.utils import filter_users_by_email


class StrictAddEmailForm(AddEmailForm):
    """Refuses an address that belongs to another account. allauth would accept it unverified (so
    as not to reveal that it is taken) and mail its owner a confirmation they never asked for;
    only signed-in people reach this form, so saying "taken" reveals little and mails no one."""

    def clean_email(self) -> str:
        value = super().clean_email()
        if any(user.pk != self.user.pk for user in filter_users_by_email(value)):
            raise get_adapter().validation_error("email_taken")
        return value
