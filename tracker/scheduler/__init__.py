"""The background daemon: scheduled collections, attribution and reports."""
