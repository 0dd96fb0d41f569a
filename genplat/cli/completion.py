"""``genplat completion bash|zsh|fish``: the shell completion script (click's)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from genplat.cli._main import cli


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def command(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
      bash:  eval "$(genplat completion bash)"        (or save it under ~/.local/share/bash-completion/completions/genplat)
      zsh:   eval "$(genplat completion zsh)"         (in ~/.zshrc)
      fish:  genplat completion fish > ~/.config/fish/completions/genplat.fish
    """
    cls = get_completion_class(shell)
    assert cls is not None  # the choice above lists only shells click knows
    click.echo(cls(cli, {}, "genplat", "_GENPLAT_COMPLETE").source())
