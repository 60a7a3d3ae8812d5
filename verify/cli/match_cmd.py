"""Placeholder until the match_cmd commands land; registers nothing."""

import click


def register(cli: click.Group) -> None:
    return None
