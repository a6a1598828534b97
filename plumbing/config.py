"""Loads config.yaml exactly as `nameko run --config` does, ${VAR:default} included."""

import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_path() -> Path:
    return Path(os.environ.get("OMS_CONFIG", PROJECT_ROOT / "config.yaml"))


def load_config(path: str | os.PathLike | None = None) -> dict:
    setup_yaml_parser()
    with open(path or config_path()) as stream:
        return yaml.safe_load(stream)


def project_path(value: str) -> Path:
    """A path from the config, relative to the project root unless absolute."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
