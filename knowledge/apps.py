from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, **kwargs) -> None:
    from core.jobs import schedule_every
    from knowledge.tasks import resume_stalled_layers

    schedule_every(resume_stalled_layers, minutes=1, name="resume-stalled-layers")


def _build_waiting(sender, connection_id: int, **kwargs) -> None:
    from knowledge.services.layers import layers_build_waiting

    layers_build_waiting(connection_id=connection_id)


def _count_layers(*, repositories, **scope) -> int:
    from knowledge.models import KnowledgeLayer

    return KnowledgeLayer.objects.filter(repository__in=repositories).count()


def _count_files(*, repositories, **scope) -> int:
    from django.db.models import Sum

    from knowledge.models import KnowledgeLayer

    # The layers' own file counts: counting their file rows would read millions of them.
    return KnowledgeLayer.objects.filter(repository__in=repositories).aggregate(files=Sum("files_total"))["files"] or 0


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge layers"

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self)
        from integrations.signals import connection_restored

        connection_restored.connect(_build_waiting, dispatch_uid="knowledge.build-waiting-on-restore", weak=False)
        # Tell integrations which of our tables hang off a repository, children first, so that
        # disconnecting deletes them without integrations importing this app.
        from integrations.services.deletion import register_count, register_dependent
        from knowledge import models as m

        for model in (m.Symbol, m.ContentChunk, m.Dependency, m.SkippedFile, m.Doc, m.LayerFile):
            register_dependent(model, repository_path="generation__layer__repository")
        register_dependent(m.Generation, repository_path="layer__repository")
        register_dependent(m.KnowledgeLayer, repository_path="repository")
        register_count("knowledge layers", _count_layers)
        register_count("files in those layers", _count_files)
