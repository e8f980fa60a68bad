from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "roamwise.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks, upward  # noqa: F401  (register the start-up checks)
        from .tasks import observe_jobs, run_periodic_jobs_once

        observe_jobs()
        run_periodic_jobs_once()
