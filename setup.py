"""Packaging glue that pyproject.toml cannot express.

The Alembic scripts live at the top level (``migrations/``, as users expect) and ship inside the package as
``tracker.migrations`` so that ``tracker db upgrade`` works from a plain install as well as from a checkout.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["tracker", "tracker.*"])
    + ["tracker.migrations", "tracker.migrations.versions"],
    package_dir={"tracker.migrations": "migrations"},
)
