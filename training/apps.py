from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from training import guard

        # The start-up refusals: a Django system check (every management
        # command, runserver) and, for the WSGI servers, config/wsgi.py.
        guard.register_checks()
        post_migrate.connect(guard.mark_new_training_database, sender=self)
