from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, **kwargs) -> None:
    """Sweep for deletions whose worker died, every minute, on every cluster: with
    DELETION_STALL_SECONDS (120) a killed disconnect carries on within about three minutes."""
    from core.jobs import schedule_every
    from integrations.tasks import resume_disconnections

    schedule_every(resume_disconnections, minutes=1, name="resume-disconnections")


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Bitbucket integration"

    def ready(self) -> None:
        import config.checks  # noqa: F401  (registers the deployment checks)

        post_migrate.connect(_ensure_schedules, sender=self)
