"""Disconnecting deletes for good what it should, and nothing else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_q.models import Task

from integrations import tasks
from integrations.models import Connection, Repository, Workspace
from integrations.services import deletion
from knowledge.models import ContentChunk, Dependency, Doc, Generation, KnowledgeLayer, LayerFile, SkippedFile, Symbol
from webhooks.models import Hook

pytestmark = pytest.mark.django_db(transaction=True)

# Rows of the job queue and sessions come and go with every request; they own no Bitbucket data.
NOT_OWNED = {"django_q", "sessions", "admin"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in NOT_OWNED
    }


def fill_layers(workspace: Workspace) -> None:
    """Give every repository of the workspace a built layer with rows in every layer table."""
    for repo in Repository.objects.filter(workspace=workspace):
        layer = KnowledgeLayer.objects.create(repository=repo, status=KnowledgeLayer.Status.ACTIVE, active_generation=2)
        for number in (1, 2):
            generation = Generation.objects.create(layer=layer, number=number, status=Generation.Status.READY)
            for n in range(3):
                file = LayerFile.objects.create(generation=generation, path=f"src/m{n}.py", size=10, sha256="0" * 64)
                Symbol.objects.bulk_create(Symbol(generation=generation, file=file, kind="function", name=f"f{k}", line=k + 1) for k in range(2))
                ContentChunk.objects.create(generation=generation, file=file, start_line=1, text="def f(): pass")
            Dependency.objects.create(generation=generation, ecosystem="pypi", name="django", manifest="requirements.txt")
            SkippedFile.objects.create(generation=generation, path="logo.png", reason="binary")
            Doc.objects.create(generation=generation, path="README.md", html="<p>hi</p>")


@pytest.fixture
def two_linked(signed_in, connect_oauth):
    connect_oauth(signed_in)
    first, second, *_ = Workspace.objects.order_by("slug")
    signed_in.post("/integrations/bitbucket/workspaces/link/", {"workspace": [first.pk, second.pk]})
    assert Repository.objects.filter(workspace=first).exists() and Repository.objects.filter(workspace=second).exists()
    fill_layers(first)
    fill_layers(second)
    return first, second


def test_disconnecting_a_workspace_deletes_its_rows_and_no_others(signed_in, two_linked, settings):
    settings.DELETION_CHUNK_SIZE = 2  # several chunks even on a small seed
    gone, kept = two_linked
    kept_repos = set(Repository.objects.filter(workspace=kept).values_list("pk", flat=True))
    owned = Repository.objects.filter(workspace=gone).count()
    expected = {
        "integrations_repository": owned,
        "knowledge_knowledgelayer": owned,
        "knowledge_generation": owned * 2,
        "knowledge_layerfile": owned * 2 * 3,
        "knowledge_symbol": owned * 2 * 3 * 2,
        "knowledge_contentchunk": owned * 2 * 3,
        "knowledge_dependency": owned * 2,
        "knowledge_skippedfile": owned * 2,
        "knowledge_doc": owned * 2,
        "webhooks_hook": 1,  # alice administers the first workspace, so it got our hook
    }
    assert Hook.objects.filter(workspace=gone).count() == 1
    before = row_counts()

    confirm = signed_in.get(f"/integrations/bitbucket/workspaces/{gone.pk}/disconnect/").content.decode()
    assert "permanently deleted" in confirm
    page = signed_in.post(f"/integrations/bitbucket/workspaces/{gone.pk}/disconnect/", follow=True).content.decode()
    assert "Disconnecting" in page

    after = row_counts()
    changed = {table: before[table] - after[table] for table in before if before[table] != after[table]}
    assert changed == expected
    gone.refresh_from_db()
    assert gone.status == Workspace.Status.INACTIVE
    assert set(Repository.objects.filter(workspace=kept).values_list("pk", flat=True)) == kept_repos
    listing = signed_in.get("/integrations/bitbucket/workspaces/").content.decode()
    assert "Inactive" in listing and "Active" in listing


def test_a_deletion_killed_half_way_is_resumed(signed_in, two_linked, settings, monkeypatch):
    gone, kept = two_linked
    Workspace.objects.filter(pk=gone.pk).update(status=Workspace.Status.DISCONNECTING)
    settings.DELETION_CHUNK_SIZE = 1
    real = deletion._delete_chunk

    def dies_after_first_chunk(queryset, size):
        real(queryset, 1)
        raise SystemExit("worker killed")

    monkeypatch.setattr(deletion, "_delete_chunk", dies_after_first_chunk)
    with pytest.raises(SystemExit):
        tasks.disconnect_workspace(gone.pk)
    monkeypatch.setattr(deletion, "_delete_chunk", real)
    assert Repository.objects.filter(workspace=gone).exists()  # half-way

    Workspace.objects.filter(pk=gone.pk).update(updated_at="2000-01-01T00:00:00Z")
    assert tasks.resume_disconnections() == 1  # sync mode: runs the job again now
    assert not Repository.objects.filter(workspace=gone).exists()
    assert Repository.objects.filter(workspace=kept).exists()
    assert not Symbol.objects.filter(generation__layer__repository__workspace=gone).exists()
    assert Symbol.objects.filter(generation__layer__repository__workspace=kept).exists()


def test_the_sweep_leaves_a_beating_deletion_alone_and_resumes_a_silent_one(two_linked, settings):
    gone, kept = two_linked
    settings.DELETION_CHUNK_SIZE = 1
    settings.DELETION_STEP_CHUNKS = 3
    stall = timedelta(seconds=settings.DELETION_STALL_SECONDS)
    Workspace.objects.filter(pk=gone.pk).update(status=Workspace.Status.DISCONNECTING,
                                                updated_at=timezone.now() - stall + timedelta(seconds=10))
    assert tasks.resume_disconnections() == 0  # not silent for long enough yet

    Workspace.objects.filter(pk=gone.pk).update(updated_at=timezone.now() - stall - timedelta(seconds=30))
    with transaction.atomic():  # the steps it queues run only once this commits
        assert tasks.disconnect_workspace(gone.pk) == 3  # one bounded step: three chunks of one row
        # It beat after each chunk, so the sweep takes it for alive and leaves it alone.
        assert Workspace.objects.get(pk=gone.pk).updated_at > timezone.now() - timedelta(seconds=30)
        assert tasks.resume_disconnections() == 0
        assert Repository.objects.filter(workspace=gone).exists()

        # The step's next job is lost with its worker: the silence is noticed and the deletion resumed.
        Workspace.objects.filter(pk=gone.pk).update(updated_at=timezone.now() - stall - timedelta(seconds=1))
        assert tasks.resume_disconnections() == 1
        settings.DELETION_STEP_CHUNKS = 1000  # the rest in one step (sync mode nests each queued step)
    assert not Repository.objects.filter(workspace=gone).exists()
    assert Workspace.objects.get(pk=gone.pk).status == Workspace.Status.INACTIVE
    assert Symbol.objects.filter(generation__layer__repository__workspace=kept).exists()


def test_the_resume_sweep_runs_every_minute():
    from pydoc import locate

    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="resume-disconnections")
    assert (locate(schedule.func), schedule.schedule_type, schedule.minutes) == (tasks.resume_disconnections, Schedule.MINUTES, 1)


@pytest.mark.parametrize("whole_connection", [False, True])
def test_a_large_disconnect_runs_as_several_bounded_jobs_and_leaves_no_row(
        signed_in, two_linked, settings, bitbucket, whole_connection):
    settings.DELETION_CHUNK_SIZE = 10
    settings.DELETION_STEP_CHUNKS = 2  # a few steps: sync mode runs each queued step inside the last
    gone, kept = two_linked
    owned = Repository.objects.filter(workspace=gone).count() if not whole_connection else Repository.objects.count()
    hooks_before = len(bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"])
    assert hooks_before == 1  # alice administers acme: one workspace hook
    seen = len(bitbucket.requests_seen())
    before = row_counts()

    if whole_connection:
        signed_in.post("/integrations/bitbucket/disconnect/")
        func = "integrations.tasks.disconnect_connection"
    else:
        signed_in.post(f"/integrations/bitbucket/workspaces/{gone.pk}/disconnect/")
        func = "integrations.tasks.disconnect_workspace"

    steps = Task.objects.filter(func=func)
    assert steps.count() >= 4 and all(steps.values_list("success", flat=True))
    after = row_counts()
    assert after["integrations_repository"] == before["integrations_repository"] - owned
    assert before["knowledge_symbol"] - after["knowledge_symbol"] == owned * 2 * 3 * 2
    if whole_connection:
        owned_tables = [table for table in after if table.split("_")[0] in {"knowledge", "integrations", "webhooks"}]
        assert {table: after[table] for table in owned_tables if after[table]} == {}
    assert bitbucket.control("GET", "/_sandbox/hooks").json()["hooks"] == []
    deletes = [r for r in bitbucket.requests_seen()[seen:] if r["method"] == "DELETE" and "/hooks/" in r["path"]]
    assert len(deletes) == 1  # removed once, however many steps ran


def test_disconnect_bitbucket_deletes_everything_and_needs_a_new_authorisation(signed_in, two_linked, connect_oauth):
    page = signed_in.get("/integrations/bitbucket/disconnect/").content.decode()
    assert "All repository data and knowledge layers will be permanently deleted" in page
    signed_in.post("/integrations/bitbucket/disconnect/")
    assert (Connection.objects.count(), Workspace.objects.count(), Repository.objects.count()) == (0, 0, 0)
    assert sum(m.objects.count() for m in (KnowledgeLayer, Generation, LayerFile, ContentChunk, Symbol, Dependency, SkippedFile, Doc)) == 0
    assert "Connect Bitbucket" in signed_in.get("/integrations/").content.decode()
    again = connect_oauth(signed_in)  # goes through the consent page again
    assert "Connected to Bitbucket as" in again.content.decode()


def test_rotate_encryption_keys_reencrypts_under_the_newest_key(signed_in, connect_oauth, settings):
    from cryptography.fernet import Fernet
    from django.db import connection as db

    connect_oauth(signed_in)
    token = Connection.objects.get().access_token
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys")
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_connection")
        (raw,) = cursor.fetchone()
    assert Fernet(new_key.encode()).decrypt(raw.encode()).decode() == token
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be retired
    assert Connection.objects.get().access_token == token


def test_a_workspace_without_hooks_disconnects_without_a_clean_up_failure(signed_in, connect_oauth, caplog):
    connect_oauth(signed_in)  # every workspace listed, none linked: no hook anywhere
    signed_in.post("/integrations/bitbucket/disconnect/")
    assert Connection.objects.count() == 0
    failures = [r for r in caplog.records if r.getMessage() == "bitbucket.deletion.cleanup-failed"]
    assert failures == [], [r.exc_text for r in failures]


def test_deleting_in_chunks_from_a_set_known_to_be_empty_deletes_nothing():
    assert deletion.delete_in_chunks(Hook.objects.filter(pk__in=[])) == 0
