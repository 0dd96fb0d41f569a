"""``genplat status``: did the clusters take it? Each cluster's delivery against the lock's digests."""

from __future__ import annotations

import re
import sys
import typing as t

import click

from genplat.cli._choices import KUBE_TIMEOUT, STATUS_FORMATS
from genplat.cli._common import default_format, project_option, resolve_project
from genplat.cli._complete import complete_bundles
from genplat.core.errors import UsageError

if t.TYPE_CHECKING:
    from genplat.delivery.model import StatusReport

_DURATION = re.compile(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$")


def parse_duration(text: str) -> float:
    """``2m``, ``90s``, ``1h30m``, ``45`` (seconds) → seconds."""
    m = _DURATION.match(text)
    if not text.strip() or m is None or not any(m.groups()):
        raise UsageError(f"--wait {text!r}: not a duration", hint="write it as 2m, 90s, 1h30m or seconds")
    hours, minutes, seconds = m.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _progress(report: StatusReport) -> None:
    states = ", ".join(f"{c.bundle} {c.state}" for c in report.clusters)
    click.echo(f"genplat: status after {report.waited:.0f}s: {states}", err=True)


@click.command("status")
@project_option
@click.option(
    "--cluster",
    "clusters",
    multiple=True,
    metavar="NAME",
    help="A cluster to read: its bundle (prod-prod-eu), name (prod-eu) or env/name; repeatable [default: all].",
    shell_complete=complete_bundles,
)
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].",
)
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="[BUNDLE=]CONTEXT",
    help="Kubeconfig context of the one cluster selected, or BUNDLE=CONTEXT per cluster; repeatable "
    "[default: a context named after the bundle or the cluster; for one cluster, the current context].",
)
@click.option(
    "--wait",
    "wait",
    default=None,
    metavar="DURATION",
    help="Read again every few seconds until every cluster has converged (exit 0), a failure is settled "
    "(the controller failed the pushed revision twice), or DURATION (2m, 90s) has passed (exit 1).",
)
@click.option(
    "--drift", is_flag=True, help="Also list objects changed on the cluster outside git, per tenant (a dry run)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.5),
    default=KUBE_TIMEOUT,
    show_default=True,
    help="Seconds each API request may take, retries included.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(STATUS_FORMATS),
    default=None,
    help="text (default), json, or GitHub Actions annotations (default when GITHUB_ACTIONS=true).",
)
def command(
    project_dir: str | None,
    clusters: tuple[str, ...],
    kubeconfig: str | None,
    contexts: tuple[str, ...],
    wait: str | None,
    drift: bool,
    timeout: float,
    fmt: str | None,
) -> None:
    """Report what each cluster runs against the digests in out/genplat.lock.json.

    For every cluster with GitOps wiring in out/_gitops/ (or those named with --cluster), reads its
    delivery objects (Flux OCIRepository, Kustomizations and HelmReleases, kapp-controller App) and
    reports per layer: converged (applied the pinned digest), behind, or failing, with the controller's
    message, its recent Warning events, and for each object the failure names, the blueprint file:line
    that produced it. Read-only (docs/delivery.md gives the ClusterRole). Exit codes: 0 every cluster
    converged (and no drift with --drift), 1 not, 2 usage error, 3 a cluster could not be read.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.delivery import StatusOptions, read_status, wait_status
    from genplat.delivery.report import FORMATS, format_text  # deferred, as above

    fmt = fmt or default_format()
    options = StatusOptions(
        project=resolve_project(project_dir),
        clusters=clusters,
        kubeconfig=kubeconfig,
        contexts=contexts,
        timeout=timeout,
        drift=drift,
    )
    if wait is not None:
        report = wait_status(options, parse_duration(wait), on_poll=_progress if fmt != "json" else None)
    else:
        report = read_status(options)
    click.echo(FORMATS[fmt](report), nl=False)
    if fmt == "github":
        click.echo(format_text(report), nl=False, err=True)
    if report.unreachable:
        sys.exit(3)
    sys.exit(0 if report.converged and not report.drifted else 1)
