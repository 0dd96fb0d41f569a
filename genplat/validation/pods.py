"""Validate stage: what the API server and Knative's webhook refuse in a service's pod and its objects.

Volumes (Kubernetes 1.35 ``ValidateVolumes``/``ValidateVolumeMounts``/``ValidateConfigMap``, Knative
Serving v0.47 ``validateVolumeMounts``): volume names unique, mount paths unique (as ``path.Clean``
reads them) and not the reserved ``/``, ``/dev`` or ``/dev/log``; config file names valid ConfigMap keys
(no ``.``, ``..`` or leading ``..``, at most 253 characters), at most 1 MiB of content per volume. A
cronjob's name leaves room for the 11 characters its Jobs add (at most 52), its schedule parses as the
server parses it and its time zone exists (:mod:`genplat.validation.cron`).

Every variant of a service is judged (declared, per environment, per cluster), each finding at the
line of the value.
"""

from __future__ import annotations

import posixpath
import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_dict, as_list, as_str
from genplat.validation.cron import schedule_problem, time_zone_problem
from genplat.validation.variants import Variant, service_variants

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint

RESERVED_MOUNT_PATHS = ("/", "/dev", "/dev/log")
MAX_CONFIG_BYTES = 1024 * 1024  # core.MaxSecretSize, which ConfigMaps share
MAX_CRONJOB_NAME = 52  # 63 minus the 11 characters the CronJob controller appends to its Jobs' names
MAX_KEY = 253


def _file_name_problem(name: str) -> str | None:
    if len(name) > MAX_KEY:
        return f"is {len(name)} characters, over {MAX_KEY}"
    if name in (".", "..") or name.startswith(".."):
        return "must not be '.', '..' or start with '..'"
    return None


def _volumes(bp: Blueprint, v: Variant) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    base = (*v.at("volumes"), "volumes")
    names: dict[str, int] = {}
    paths: dict[str, int] = {}
    for i, volume in enumerate(as_list(v.effective.get("volumes"))):
        volume = as_dict(volume)
        name = as_str(volume.get("name"))
        if name is not None:
            if name in names:
                out.append(
                    bp.diagnostic(
                        "volume-invalid",
                        f"volume {name!r} is defined twice in service {v.name!r}",
                        (*base, i, "name"),
                        hint=f"the first is volumes[{names[name]}]; volume names must be unique",
                    )
                )
            names.setdefault(name, i)
        mount = as_str(volume.get("mountPath"))
        if mount is not None and mount.startswith("/"):
            clean = posixpath.normpath(mount).replace("//", "/")
            if clean in RESERVED_MOUNT_PATHS:
                out.append(
                    bp.diagnostic(
                        "volume-invalid",
                        f"mountPath {mount!r} is reserved: it would hide the container's {clean} "
                        "(Knative refuses /, /dev and /dev/log)",
                        (*base, i, "mountPath"),
                        hint="mount the files in a folder of their own, e.g. /etc/<service>",
                    )
                )
            elif clean in paths:
                out.append(
                    bp.diagnostic(
                        "volume-invalid",
                        f"mountPath {mount!r} is used by volumes[{paths[clean]}] too",
                        (*base, i, "mountPath"),
                        hint="each volume needs a folder of its own",
                    )
                )
            paths.setdefault(clean, i)
        for kind in ("config", "secret"):
            files = as_dict(as_dict(volume.get(kind)).get("files"))
            for fname in files:
                problem = _file_name_problem(str(fname))
                if problem:
                    out.append(
                        bp.diagnostic(
                            "volume-invalid",
                            f"file name {fname!r} {problem}",
                            (*base, i, kind, "files", fname),
                            key=True,
                            hint="file names are letters, digits, '-', '_' and '.'",
                        )
                    )
        files = as_dict(as_dict(volume.get("config")).get("files"))
        size = sum(len(str(c).encode("utf-8")) for c in files.values())
        if size > MAX_CONFIG_BYTES:
            out.append(
                bp.diagnostic(
                    "volume-invalid",
                    f"the config files of volume {name!r} hold {size} bytes, over the {MAX_CONFIG_BYTES} "
                    "a ConfigMap may hold",
                    (*base, i, "config", "files"),
                    hint="ship large files in the image, or split them over several volumes",
                )
            )
    return out


def _schedule(bp: Blueprint, v: Variant) -> list[Diagnostic]:
    if as_str(v.effective.get("workload")) != "cronjob":
        return []
    out = []
    schedule = as_dict(v.effective.get("schedule"))
    base = (*v.at("schedule"), "schedule")
    cron = as_str(schedule.get("cron"))
    problem = schedule_problem(cron) if cron is not None else None
    if problem:
        out.append(
            bp.diagnostic(
                "schedule-invalid",
                f"schedule {cron!r}: {problem}",
                (*base, "cron"),
                hint="five fields, minute hour day-of-month month day-of-week, e.g. '30 2 * * *', or @daily, @hourly, …",
            )
        )
    zone = as_str(schedule.get("timeZone"))
    problem = time_zone_problem(zone) if zone is not None else None
    if problem:
        out.append(
            bp.diagnostic(
                "schedule-invalid",
                problem,
                (*base, "timeZone"),
                hint="an IANA time zone name, e.g. Europe/Berlin or UTC",
            )
        )
    if len(v.name) > MAX_CRONJOB_NAME:
        out.append(
            bp.diagnostic(
                "name-too-long",
                f"service name {v.name!r} is {len(v.name)} characters: a cronjob's name may have at most "
                f"{MAX_CRONJOB_NAME} (its Jobs add 11)",
                (*v.base, "name"),
                hint=f"use at most {MAX_CRONJOB_NAME} characters",
            )
        )
    return out


def check_pods(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for v in service_variants(bp):
        out += _volumes(bp, v) + _schedule(bp, v)
    return out
