"""Delivery stage: how each kind of delivery object says what it applied, one reader per kind.

A reader turns a live object into a state against the revision the lock pins:

* ``converged``: the controller has observed the object's current spec, reports it Ready, and applied
  (or fetched) exactly the pinned revision.
* ``failing``: its last attempt failed (Ready False with a failure reason, or Stalled), even when a
  retry has just replaced the failed condition: the controller's Warning events keep the failure.
* ``behind``: anything else: not yet on the cluster, waiting for a dependency, still at an older
  revision, or working on the pushed one.

Flux's kinds share one reading (conditions, ``observedGeneration``, revisions); kapp-controller's App
has its own. :data:`READERS` maps (group, kind) to a reader, so a new delivery kind (a layer of
HelmReleases, say) is one entry here.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.delivery.model import BEHIND, CONVERGED, FAILING

#: Ready reasons that mean "waiting", not "failed".
WAITING_REASONS = frozenset({"DependencyNotReady", "Progressing", "ProgressingWithRetry", "Reconciling"})


@dataclasses.dataclass(slots=True)
class Reading:
    state: str
    summary: str
    applied: str | None = None
    attempted: str | None = None
    reason: str | None = None
    message: str | None = None


def condition(obj: t.Mapping[str, t.Any], kind: str) -> dict[str, t.Any] | None:
    for c in ((obj.get("status") or {}).get("conditions")) or []:
        if isinstance(c, dict) and c.get("type") == kind:
            return c
    return None


def short(revision: str | None) -> str:
    """``sha256:b40eed93…`` (tags kept: ``v1@sha256:b40eed93…``)."""
    if not revision:
        return "nothing"
    head, sep, digest = revision.rpartition("sha256:")
    return f"{head}{sep}{digest[:12]}…" if sep and len(digest) > 12 else revision


def same_revision(revision: str | None, expected: str) -> bool:
    """Flux writes a digest-pinned revision as ``sha256:<hex>`` (or ``<tag>@sha256:<hex>``)."""
    return bool(revision) and (revision == expected or str(revision).endswith("@" + expected))


def _suspended(obj: t.Mapping[str, t.Any]) -> Reading | None:
    if (obj.get("spec") or {}).get("suspend") is True:
        return Reading(BEHIND, "suspended (spec.suspend: true): its controller does not reconcile it")
    return None


def _seen(obj: t.Mapping[str, t.Any]) -> bool:
    """Whether the controller has taken up the object's current spec. Flux sets ``status.observedGeneration``
    only when an attempt ends, but every condition it writes carries the generation it worked on."""
    generation = (obj.get("metadata") or {}).get("generation")
    status = obj.get("status") or {}
    if generation is None or status.get("observedGeneration") == generation:
        return True
    return any(
        isinstance(c, dict) and c.get("observedGeneration") == generation for c in status.get("conditions") or []
    )


_UNSEEN = "not picked up yet: its controller has not taken up this version of it (is it running?)"


def flux(obj: t.Mapping[str, t.Any], expected: str | None, applied: str | None, attempted: str | None) -> Reading:
    """The reading every Flux kind shares: Ready/Reconciling/Stalled conditions and the revisions given."""
    pending = _suspended(obj) or (None if _seen(obj) else Reading(BEHIND, _UNSEEN))
    if pending is not None:
        pending.applied, pending.attempted = applied, attempted
        return pending
    generation = (obj.get("metadata") or {}).get("generation")
    done = (obj.get("status") or {}).get("observedGeneration") == generation or generation is None
    ready, stalled, working = condition(obj, "Ready"), condition(obj, "Stalled"), condition(obj, "Reconciling")
    reason = str(ready.get("reason") or "") if ready else None
    message = str(ready.get("message") or "") if ready else None
    base = Reading(BEHIND, "", applied, attempted, reason, message)
    if stalled is not None and stalled.get("status") == "True":
        base.state, base.reason, base.message = FAILING, str(stalled.get("reason") or ""), str(stalled.get("message"))
        base.summary = f"stalled: {base.message}"
    elif ready is not None and ready.get("status") == "True" and done:
        if expected is None or same_revision(applied, expected):
            base.state, base.summary = CONVERGED, f"ready at {short(applied)}"
        else:
            base.summary = f"ready at {short(applied)}, not yet at the pushed {short(expected)}"
    elif ready is not None and ready.get("status") == "False" and reason not in WAITING_REASONS:
        base.state, base.summary = FAILING, f"{reason}: {message}"
    elif ready is not None and reason == "DependencyNotReady":
        base.summary = f"waiting: {message}"
    elif working is not None and working.get("status") == "True":
        base.summary = f"working: {working.get('message') or message or ''}".rstrip(": ")
    else:
        base.summary = f"working: {message}" if message else "no status reported yet (is its controller running?)"
    if base.state == FAILING:
        base.message = _with_details(obj, base.message)
    return base


def _with_details(obj: t.Mapping[str, t.Any], message: str | None) -> str:
    """The failure message, and what the other failed conditions add (helm-controller keeps helm's own
    error in ``Released``, and says only "Failed to install after 1 attempt(s)" in ``Ready``)."""
    lines = [message] if message else []
    for c in (obj.get("status") or {}).get("conditions") or []:
        if not isinstance(c, dict) or c.get("type") in ("Ready", "Stalled", "Reconciling"):
            continue
        text = str(c.get("message") or "")
        if c.get("status") == "False" and text and all(text not in line for line in lines):
            lines.append(f"{c.get('type')}: {text}")
    return "\n".join(lines)


def oci_repository(obj: t.Mapping[str, t.Any], expected: str | None) -> Reading:
    status = obj.get("status") or {}
    fetched = (status.get("artifact") or {}).get("revision")
    pinned = ((obj.get("spec") or {}).get("ref") or {}).get("digest")
    if expected and pinned and pinned != expected:
        return Reading(BEHIND, f"the cluster's wiring pins {short(pinned)}, the lock {short(expected)}", fetched)
    return flux(obj, expected, fetched, fetched)


def kustomization(obj: t.Mapping[str, t.Any], expected: str | None) -> Reading:
    status = obj.get("status") or {}
    return flux(obj, expected, status.get("lastAppliedRevision"), status.get("lastAttemptedRevision"))


def helm_release(obj: t.Mapping[str, t.Any], expected: str | None) -> Reading:
    status = obj.get("status") or {}
    history = [h for h in status.get("history") or [] if isinstance(h, dict)]
    applied = None
    if history:
        latest = history[0]
        applied = f"{latest.get('chartName', '')}@{latest.get('chartVersion', '')}".strip("@") or None
    return flux(obj, expected, applied, status.get("lastAttemptedRevision"))


def kapp_app(obj: t.Mapping[str, t.Any], expected: str | None) -> Reading:
    """kapp-controller's App: ReconcileSucceeded / ReconcileFailed / Reconciling conditions, and the
    digest its spec fetches (the wiring pins the bundle by digest, so the spec says what it applies)."""
    fetch = ((obj.get("spec") or {}).get("fetch") or [{}])[0] or {}
    image = str((fetch.get("imgpkgBundle") or {}).get("image") or "")
    pinned = image.rpartition("@")[2] or None
    if expected and pinned != expected:
        return Reading(BEHIND, f"the cluster's App fetches {short(pinned)}, the lock pins {short(expected)}", pinned)
    pending = _suspended(obj) or (
        None if _seen(obj) else Reading(BEHIND, _UNSEEN.replace("its controller", "kapp-controller"))
    )
    if pending is not None:
        return pending
    status = obj.get("status") or {}
    useful = str(status.get("usefulErrorMessage") or "")
    failed, succeeded = condition(obj, "ReconcileFailed"), condition(obj, "ReconcileSucceeded")
    if failed is not None and failed.get("status") == "True":
        message = useful or str(failed.get("message") or "") or str(status.get("friendlyDescription") or "")
        return Reading(
            FAILING,
            f"reconcile failed: {message.strip().splitlines()[0] if message else ''}",
            None,
            pinned,
            "ReconcileFailed",
            message,
        )
    if succeeded is not None and succeeded.get("status") == "True":
        return Reading(CONVERGED, f"reconcile succeeded at {short(pinned)}", pinned, pinned, "ReconcileSucceeded")
    description = str(status.get("friendlyDescription") or "")
    return Reading(
        BEHIND,
        f"working: {description}" if description else "no status reported yet (is kapp-controller running?)",
        None,
        pinned,
    )


Reader = t.Callable[[t.Mapping[str, t.Any], str | None], Reading]

#: (API group, kind) → reader. The revision each compares is the lock's digest for the wiring's own
#: objects, and None (whatever the spec asks) for delivery objects found inside a layer.
READERS: dict[tuple[str, str], Reader] = {
    ("source.toolkit.fluxcd.io", "OCIRepository"): oci_repository,
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): kustomization,
    ("helm.toolkit.fluxcd.io", "HelmRelease"): helm_release,
    ("kappctrl.k14s.io", "App"): kapp_app,
}

#: The annotation Flux puts on its events with the revision they concern, per controller group.
REVISION_ANNOTATIONS = tuple(f"{group}/revision" for group, _ in READERS)


def reader_for(api_version: str, kind: str) -> Reader | None:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return READERS.get((group, kind))
