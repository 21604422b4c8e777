"""The GitHub source: owners, repositories, discovery searches, contributors and profiles (see `collect`)."""

from tracker.sources.github.collect import DEFAULT_SEARCHES, GhPlan, collect_github, configured_searches

__all__ = ["DEFAULT_SEARCHES", "GhPlan", "collect_github", "configured_searches"]
