from __future__ import annotations

import errno
import importlib
import sys
import typing as t

import click
from click.shell_completion import CompletionItem

from genplat.core.errors import FindingsError, GenplatError
from genplat.core.report import REPORTERS
from genplat.core.secrets import redact
from genplat.core.text import escape_name

# Command name → (module inside genplat.cli defining a click command called ``command``, or
# ``module:attribute``; its one-line help). ``genplat --help`` lists the help from here, so it imports no
# command module (tests/cli/test_help.py keeps the lines equal to the commands' own).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Write a starter project into DIRECTORY (default: the working folder)."),
    "tenant": ("tenant", "Create tenant blueprints."),
    "set": ("edit", "Set values in a blueprint FILE: PATH=VALUE, e.g. spec.tier=large."),
    "set-image": (
        "edit:set_image_command",
        "Set the IMAGE of SERVICE in the blueprint of TENANT (for bots: Renovate-style bumps).",
    ),
    "add": (
        "lists:add_command",
        "Add ITEM to the list at PATH in a blueprint FILE (last, unless --before, --after or --at).",
    ),
    "remove": (
        "lists:remove_command",
        "Remove the list item PATH names from a blueprint FILE, e.g. spec.services[web].",
    ),
    "move": (
        "lists:move_command",
        "Move the list item PATH names in a blueprint FILE (--before NAME, --after NAME or --at N; default last).",
    ),
    "env": ("grow:env_command", "Add or remove environments of the platform."),
    "cluster": ("grow:cluster_command", "Add or remove clusters of an environment."),
    "service": ("grow:service_command", "Add or remove services of a tenant."),
    "resource": ("grow:resource_command", "Add or remove resources (offering instances) of a tenant."),
    "fmt": ("fmt", "Write blueprints in canonical form: keys in schema order, two-space indentation."),
    "validate": ("validate", "Check blueprints against their schemas and each other."),
    "render": ("render", "Print the manifests a build would write to stdout, nothing to disk."),
    "build": ("build", "Render the blueprints of the project into checked bundles under out/."),
    "addons": ("addons", "Lock and list the add-on versions each cluster runs (their CRDs check its objects)."),
    "completion": ("completion", "Print the completion script for SHELL."),
    "schema": ("schema", "Print the JSON Schema of a blueprint kind (for editors and other tools)."),
    "check": ("check", "Check manifests in PATHS (files or folders; default: the project's out/) offline."),
    "schemas": ("schemas", "JSON Schemas genplat checks with, in layouts other tools read."),
    "package": ("package", "Package every bundle of the project's out/ as an OCI artifact in a local OCI layout."),
    "push": ("push", "Push packaged bundles (all, or the BUNDLES named) to <registry>/<env>-<cluster>:<tag>."),
    "pull": ("pull", "Pull bundle REF (registry/repo:tag, registry/repo@sha256:… or oci:LAYOUT:TAG) into a folder."),
    "diff": ("diff", "Compare the rendered output of BASE and HEAD, object by object."),
    "status": ("status", "Report what each cluster runs against the digests in out/genplat.lock.json."),
    "sign": ("sign", "Sign bundles with a cosign-compatible key-based signature of each manifest digest."),
    "verify": (
        "verify",
        "Verify the signature of bundle REF (registry/repo:tag, registry/repo@sha256:… or oci:LAYOUT:TAG).",
    ),
}


class _LazyGroup(click.Group):
    """Imports a command's module only when it runs, so ``genplat --help`` stays fast and light."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        name, _, attr = entry[0].partition(":")
        return t.cast(click.Command, getattr(importlib.import_module(f"genplat.cli.{name}"), attr or "command"))

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names from the table, with their help, without importing a command (a TAB stays fast)."""
        items = [CompletionItem(n, help=COMMANDS[n][1]) for n in self.list_commands(ctx) if n.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        with formatter.section("Commands"):
            # A bare Command shortens the line exactly as click shortens the real command's help.
            formatter.write_dl([(n, click.Command(n, help=COMMANDS[n][1]).get_short_help_str(limit)) for n in names])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="genplat")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Compile platform and tenant blueprints into checked, reproducible Kubernetes bundles.

    \b
    Pipeline: load → validate → resolve → render → check → write → package → publish.
    Exit codes: 0 clean, 1 findings, 2 usage error, 3 internal or external failure.
    """
    ctx.obj = {"debug": debug}


_OS_HINTS = {
    errno.ENOSPC: "free space on that file system (or write elsewhere), then run again",
    errno.EDQUOT: "free space within your quota (or write elsewhere), then run again",
    errno.ENAMETOOLONG: "use a shorter path or name",
    errno.EEXIST: "a file stands where genplat needs a folder (or the other way round): move it",
    errno.ENOTDIR: "a file stands where genplat needs a folder: move it",
    errno.EISDIR: "a folder stands where genplat writes a file: move it",
    errno.EACCES: "genplat may not write there: pick a folder you own, or fix its permissions",
    errno.EPERM: "genplat may not write there: pick a folder you own, or fix its permissions",
    errno.EROFS: "that file system is read-only: write elsewhere",
}


def _os_error_line(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    names = [escape_name(str(n)) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{reason}: {' → '.join(names)}" if names else reason


def _traceback() -> None:
    import traceback  # only with --debug: it costs a shell's TAB a few milliseconds otherwise

    traceback.print_exc()


def main(argv: list[str] | None = None) -> t.NoReturn:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        rv = cli.main(args=argv, prog_name="genplat", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except GenplatError as exc:
        if debug:
            _traceback()
        if isinstance(exc, FindingsError):
            click.echo(REPORTERS["text"](exc.diagnostics), nl=False, err=True)
        # An error may quote what it read: the one detector keeps secret material out of the message.
        click.echo(f"genplat: error: {redact(exc.message)}", err=True)
        if exc.hint:
            click.echo(f"  hint: {redact(exc.hint)}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        # The machine said no (a full disk, a name too long, a file where a folder must be, no
        # permission): not a bug, so one line naming the path and what to do, exit 3.
        if debug:
            _traceback()
        click.echo(f"genplat: error: {_os_error_line(exc)}", err=True)
        click.echo(
            f"  hint: {_OS_HINTS.get(exc.errno or 0, 'check the path and the file system, then run again')}", err=True
        )
        sys.exit(3)
    except Exception as exc:  # the one place that turns a bug into exit code 3
        if debug:
            _traceback()
        click.echo(f"genplat: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("  hint: this is a bug in genplat; rerun with --debug for a traceback and report it", err=True)
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)
