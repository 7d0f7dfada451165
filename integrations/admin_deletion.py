"""Deleting in Django admin the way the pages do: through the disconnect services, as a job.

Django's own delete collects every related row into Python, lists each one on its confirmation
page (millions of chunks for a busy workspace) and cascades in one transaction, leaving our hooks
on Bitbucket. Here the confirmation says what will happen and counts what goes, never listing
rows; confirming starts the same service as the pages, the page answers at once, and the rows
show their disconnecting state until the job has deleted them in chunks.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

EFFECT = "All repository data and knowledge layers will be permanently deleted; our hooks are removed from Bitbucket."


def in_the_background(state: str) -> str:
    return (f"This page answers at once; a background job deletes the rows in chunks, and the list shows them as "
            f"{state} until it is done.")


@dataclass
class Deletion:
    """What a confirmation page says: the question, the effect in bold, notes, and the counts."""

    question: str
    effect: str
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def pks(objs: Iterable[Model] | QuerySet) -> QuerySet | list[int]:
    """The primary keys of what is being deleted: a subquery for a queryset, else a list."""
    return objs.values_list("pk", flat=True) if isinstance(objs, QuerySet) else [obj.pk for obj in objs]


@admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
def delete_selected(modeladmin, request: HttpRequest, queryset: QuerySet):
    """Django's action, with our confirmation page and our services instead of its cascade."""
    if request.POST.get("post"):
        count = queryset.count()
        if count:
            modeladmin.log_deletions(request, queryset)
            modeladmin.message_user(request, modeladmin.deletion_start(queryset, label=None), messages.SUCCESS)
        return None
    response = django_delete_selected(modeladmin, request, queryset)  # the page, lazily rendered
    response.context_data["deletion"] = modeladmin.deletion(queryset, label=None)
    response.context_data["queryset_pks"] = queryset.values_list("pk", flat=True)  # ids only, no rows loaded
    return response


class DeletesThroughServices:
    """A ModelAdmin mixin: each admin says what goes (`deletion`) and starts it (`deletion_start`)."""

    delete_confirmation_template = "admin/strata/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/strata/delete_selected_confirmation.html"

    def deletion(self, objs, *, label: str | None) -> Deletion:
        """What deleting `objs` does; `label` names the one object of a single delete (None: bulk)."""
        raise NotImplementedError

    def deletion_start(self, objs, *, label: str | None) -> str:
        """Start deleting `objs` through the services; the message that says what is under way."""
        raise NotImplementedError

    def named(self, objs, label: str | None) -> str:
        if label is not None:
            return f"the {self.opts.verbose_name} “{label}”"
        count = objs.count() if isinstance(objs, QuerySet) else len(objs)
        return f"{count} {self.opts.verbose_name if count == 1 else self.opts.verbose_name_plural}"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (delete_selected, "delete_selected", actions["delete_selected"][2])
        return actions

    def get_deleted_objects(self, objs, request):
        # Nothing is listed or collected; the counts come with `deletion` (see render_delete_form).
        return [], {}, set(), []

    def render_delete_form(self, request, context):
        context["deletion"] = self.deletion([context["object"]], label=str(context["object"]))
        return super().render_delete_form(request, context)

    # The admin instance serves every request: what was started is kept on the request.
    def delete_model(self, request, obj) -> None:
        request.deletion_started = self.deletion_start([obj], label=str(obj))

    def delete_queryset(self, request, queryset) -> None:
        request.deletion_started = self.deletion_start(queryset, label=None)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, getattr(request, "deletion_started", ""), messages.SUCCESS)
        # Back to the list (where the row shows its state) even for an admin who may only view it.
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist", current_app=self.admin_site.name)
        return HttpResponseRedirect(
            add_preserved_filters({"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, url)
        )
