from __future__ import annotations

import click


@click.command("schema")
@click.argument("kind", type=click.Choice(["platform", "tenant"]))
def command(kind: str) -> None:
    """Print the JSON Schema of a blueprint kind (for editors and other tools)."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.validation.schema import schema_text

    click.echo(schema_text(kind), nl=False)
