from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "roamwise.vault"
    label = "vault"
    verbose_name = "Vault"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY

        from .services import clear_key_cache

        # Unwrapped keys live for one job at most, as for one request.
        HUEY.pre_execute()(lambda task: clear_key_cache())
        HUEY.post_execute()(lambda task, task_value, exc: clear_key_cache())
