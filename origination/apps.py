from django.apps import AppConfig


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = "Origination (LOS)"
