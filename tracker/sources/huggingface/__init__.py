"""The Hugging Face Hub collector: models, datasets, lineage and daily snapshots (see `collect`)."""

from tracker.sources.huggingface.api import RetryOptions
from tracker.sources.huggingface.collect import COLLECTOR, HfPlan, collect_huggingface

__all__ = ["COLLECTOR", "HfPlan", "RetryOptions", "collect_huggingface"]
