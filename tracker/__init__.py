"""tracker: measures, with evidence, where the open-source AI ecosystem's centre of gravity lies."""

__version__ = "0.1.0"
