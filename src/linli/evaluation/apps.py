from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "linli.evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        from linli.core import ticks

        # Years whose scores are behind (a new version of the weights, or the current
        # year not computed for six hours), looked for every five minutes.
        ticks.register("evaluation.scores", "linli.evaluation.services.scores_tick", every=300)
