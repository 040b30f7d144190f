"""Typed, frozen configuration read from YAML (see ``loader`` and ``models``)."""

from accountbuilder.config.loader import ConfigError, load_config, load_config_file
from accountbuilder.config.models import AppConfig

__all__ = ["AppConfig", "ConfigError", "load_config", "load_config_file"]
