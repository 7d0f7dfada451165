from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge layers"

    def ready(self) -> None:
        # Tell integrations which of our tables hang off a repository, children first, so that
        # disconnecting deletes them without integrations importing this app.
        from integrations.services.deletion import register_dependent
        from knowledge import models as m

        for model in (m.Symbol, m.ContentChunk, m.Dependency, m.SkippedFile, m.Doc, m.LayerFile):
            register_dependent(model, repository_path="generation__layer__repository")
        register_dependent(m.Generation, repository_path="layer__repository")
        register_dependent(m.KnowledgeLayer, repository_path="repository")
