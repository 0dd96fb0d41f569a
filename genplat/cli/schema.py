from __future__ import annotations

import click

from genplat.validation.schema import schema_text


@click.command("schema")
@click.argument("kind", type=click.Choice(["platform", "tenant"]))
def command(kind: str) -> None:
    """Print the JSON Schema of a blueprint kind (for editors and other tools)."""
    click.echo(schema_text(kind), nl=False)
