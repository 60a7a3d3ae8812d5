"""Placeholder until the probe_cmd commands land; registers nothing."""

import click


def register(cli: click.Group) -> None:
    return None
