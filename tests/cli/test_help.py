"""``genplat --help`` lists every command from a table, without importing the commands' modules."""

from __future__ import annotations

import importlib

import click
import pytest

from genplat.cli._main import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_help_is_the_commands_own(name: str) -> None:
    module, _, attr = COMMANDS[name][0].partition(":")
    command = getattr(importlib.import_module(f"genplat.cli.{module}"), attr or "command")
    assert isinstance(command, click.Command)
    assert command.name == name
    assert command.get_short_help_str(limit=500) == COMMANDS[name][1]


def test_the_help_lists_every_command() -> None:
    ctx = click.Context(cli)
    text = cli.get_help(ctx)
    for name in COMMANDS:
        assert f"\n  {name} " in text
