"""Deployment warnings for settings that work on one machine but not on several."""
from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secrets_from_environment(app_configs, **kwargs):
    warnings = []
    if settings.SECRET_KEY_FROM_FILE:
        warnings.append(Warning(
            f"SECRET_KEY was generated into {settings.SECRET_FILE}.",
            hint="Set SECRET_KEY (and FIELD_ENCRYPTION_KEYS) in the environment of every web and worker machine.",
            id="strata.W001",
        ))
    return warnings
