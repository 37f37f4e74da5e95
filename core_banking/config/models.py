"""One counter per configuration domain (``tariffs``, ``limits``, ...), bumped by a trigger on
every write to the domain's tables, in the writing transaction. See ``cache.py``."""

from django.db import models


class ConfigGeneration(models.Model):
    domain = models.CharField(max_length=40, primary_key=True)
    generation = models.BigIntegerField(default=0)

    class Meta:
        db_table = "config_generation"
        verbose_name = "configuration generation"

    def __str__(self) -> str:
        return f"{self.domain} generation {self.generation}"
