"""Growing a platform by commands: ``genplat add``/``remove``/``move`` on any blueprint list, and
``genplat env|cluster|service|resource add|remove`` for the usual steps.

Each builds the new text with :mod:`._lists` and is validated with the whole project like ``genplat
set`` (:func:`._edit.checked_edit`): an edit that would add an error leaves the file as it was. Names a
command takes must be ones the platform offers (an environment, an offering, a pipeline template, a
tenant); a wrong one is a usage error with a "did you mean" when it is a typo.
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from genplat.authoring._edit import EditResult, checked_edit, kind_of, read_value
from genplat.authoring._items import (
    as_dict,
    as_list,
    cluster_item,
    clusters_of,
    environment_item,
    parameter_value,
    resource_text,
    service_text,
    tier_container,
)
from genplat.authoring._lists import Where, insert, move, plain, remove, resolve_list
from genplat.authoring._paths import Key, Named, Step, json_steps, parse_path, show
from genplat.authoring._roundtrip import RoundTrip, unreadable
from genplat.authoring._schema_paths import types_at
from genplat.core.errors import UsageError
from genplat.core.suggest import did_you_mean
from genplat.loader.project import PLATFORM_FILE, Blueprint, Project, load_project


def _read(file: Path) -> str:
    return file.read_bytes().decode("utf-8")


def _edit(file: Path, make: t.Callable[[str], str], notes: t.Sequence[str] = ()) -> EditResult:
    original = _read(file)
    try:
        text = make(original)
    except YAMLError as exc:
        raise unreadable(exc, str(file)) from exc
    result = checked_edit(file, text, original)
    result.notes.extend(notes)
    return result


# --- Any list: genplat add / remove / move ---------------------------------------------------------


def read_item(text: str, kind: str | None, path: t.Sequence[str | int]) -> t.Any:
    """The ITEM argument as YAML; where the schema wants a string, the text as typed (``"17"``, not 17)."""
    try:
        typed = RoundTrip.make().load(text)
        raw = YAML(typ="base").load(text)
    except YAMLError as exc:
        raise UsageError(
            f"ITEM is not valid YAML: {exc}".split("\n")[0],
            hint="write it in flow style, e.g. '{name: prod, clusters: [{name: prod-1, provider: gke}]}', "
            "or pass - and give it on stdin",
        ) from exc
    if typed is None and not text.strip():
        raise UsageError("ITEM is empty", hint="give the item to add, e.g. '{name: web, image: …}'")
    return _coerce(plain(typed), raw, kind, list(path))


def _coerce(value: t.Any, raw: t.Any, kind: str | None, path: list[str | int]) -> t.Any:
    if isinstance(value, dict) and isinstance(raw, dict):
        return {k: _coerce(v, raw.get(k), kind, [*path, k]) for k, v in value.items()}
    if isinstance(value, list) and isinstance(raw, list):
        return [_coerce(v, r, kind, [*path, i]) for i, (v, r) in enumerate(zip(value, raw, strict=False))]
    if kind is None or isinstance(value, str) or not isinstance(raw, str):
        return value
    return read_value(raw, types_at(kind, path))


def _list_for(data: t.Any, steps: t.Sequence[Step]) -> list[t.Any]:
    target = resolve_list(data, steps)
    return list(target.node) if target.node is not None else []


def _check_new(items: list[t.Any], item: t.Any, what: str) -> None:
    name = item.get("name") if isinstance(item, dict) else item
    taken = [i.get("name") if isinstance(i, dict) else i for i in items]
    if name is not None and name in taken:
        raise UsageError(
            f"{what} already has {'an item named ' if isinstance(item, dict) else ''}{plain(name)!r}",
            hint="change it with genplat set, or remove it first",
        )


def add_item(file: Path, path: str, item_text: str, where: Where | None = None) -> EditResult:
    """``genplat add FILE PATH ITEM``: ITEM (YAML) added to the list at PATH."""
    steps = parse_path(path)

    def make(original: str) -> str:
        data = RoundTrip(original).data
        kind = kind_of(data)
        items = _list_for(data, steps)
        item = read_item(item_text, kind, [*json_steps(data, steps), len(items)])
        _check_new(items, item, show(steps))
        return insert(original, steps, item, where or Where())

    return _edit(file, make)


def remove_item(file: Path, path: str) -> EditResult:
    """``genplat remove FILE PATH``: the list item PATH names (``spec.services[web]``) removed."""
    steps = parse_path(path)
    return _edit(file, lambda original: remove(original, steps))


def move_item(file: Path, path: str, where: Where) -> EditResult:
    """``genplat move FILE PATH``: the list item PATH names moved before/after another or to a position."""
    steps = parse_path(path)
    return _edit(file, lambda original: move(original, steps, where))


# --- The growth steps --------------------------------------------------------------------------------


def _platform(project: Project) -> tuple[Path, dict[str, t.Any]]:
    if project.platform is None:
        raise UsageError(f"no platform blueprint ({PLATFORM_FILE}) in the project")
    return Path(project.platform.file), project.platform.spec


def _tenant(project: Project, name: str) -> Blueprint:
    bp = project.tenant(name)
    if bp is None:
        names = sorted(b.name for b in project.tenants)
        raise UsageError(f"no tenant named {name!r}", hint=did_you_mean(name, names, listing="tenants"))
    return bp


def _named(items: t.Any, name: str, what: str, listing: str) -> None:
    names = [str(as_dict(i).get("name")) for i in as_list(items)]
    if name not in names:
        raise UsageError(f"no {what} named {name!r}", hint=did_you_mean(name, names, listing=listing))


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterOptions:
    like: str | None = None  # copy provider, region, add-ons and capabilities from this cluster
    provider: str | None = None
    region: str | None = None
    capabilities: tuple[str, ...] = ()
    addons: tuple[str, ...] = ()  # add-on names (at the platform's versions)


def add_environment(
    root: Path, name: str, *, cluster: str | None, description: str | None, options: ClusterOptions
) -> EditResult:
    file, platform = _platform(load_project(root))
    item, note = environment_item(
        platform,
        name,
        cluster=cluster,
        description=description,
        like=options.like,
        provider=options.provider,
        region=options.region,
        capabilities=options.capabilities,
        addons=options.addons,
    )
    notes = [f"cluster {item['clusters'][0]['name']!r}: {note}"] if note else []
    return _edit(file, lambda o: insert(o, parse_path("spec.environments"), item, Where()), notes)


def add_cluster(root: Path, env: str, name: str, options: ClusterOptions) -> EditResult:
    file, platform = _platform(load_project(root))
    _named(platform.get("environments"), env, "environment", "environments")
    item, note = cluster_item(
        platform,
        name,
        like=options.like,
        env=env,
        provider=options.provider,
        region=options.region,
        capabilities=options.capabilities,
        addons=options.addons,
    )
    steps = (Key("spec"), Key("environments"), Named(env), Key("clusters"))
    return _edit(file, lambda o: insert(o, steps, item, Where()), [f"cluster {name!r}: {note}"] if note else [])


def remove_environment(root: Path, name: str) -> EditResult:
    file, platform = _platform(load_project(root))
    _named(platform.get("environments"), name, "environment", "environments")
    return _edit(file, lambda o: remove(o, (Key("spec"), Key("environments"), Named(name))))


def remove_cluster(root: Path, name: str) -> EditResult:
    file, platform = _platform(load_project(root))
    known = clusters_of(platform)
    if name not in known:
        raise UsageError(f"no cluster named {name!r}", hint=did_you_mean(name, known, listing="clusters"))
    steps = (Key("spec"), Key("environments"), Named(known[name][0]), Key("clusters"), Named(name))
    return _edit(file, lambda o: remove(o, steps))


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceOptions:
    port: int = 8080
    pipeline: str | None = None  # a pipeline template of the platform that builds the image
    repository: str | None = None
    revision: str | None = None


def add_service(root: Path, tenant: str, name: str, image: str, options: ServiceOptions) -> EditResult:
    project = load_project(root)
    _, platform = _platform(project)
    bp = _tenant(project, tenant)
    if options.pipeline is not None:
        _named(platform.get("pipelines"), options.pipeline, "pipeline template", "pipeline templates")
        if not options.repository:
            raise UsageError("--pipeline needs --repository (the Git repository the pipeline builds)")
    _check_new(as_list(bp.spec.get("services")), {"name": name}, f"tenant {tenant!r}: spec.services")
    tier = str(bp.spec.get("tier") or "")
    text = service_text(
        name,
        image,
        tier=tier,
        container=tier_container(platform, tier),
        port=options.port,
        pipeline=options.pipeline,
        repository=options.repository,
        revision=options.revision,
    )
    item = plain(RoundTrip(text).data[0])
    return _edit(Path(bp.file), lambda o: insert(o, parse_path("spec.services"), item, Where(), text=text))


def add_resource(root: Path, tenant: str, name: str, offering: str, given: t.Mapping[str, str]) -> EditResult:
    project = load_project(root)
    _, platform = _platform(project)
    bp = _tenant(project, tenant)
    offerings = {str(as_dict(o).get("name")): as_dict(o) for o in as_list(platform.get("offerings"))}
    if offering not in offerings:
        raise UsageError(
            f"the platform offers no {offering!r}", hint=did_you_mean(offering, offerings, listing="offerings")
        )
    params = {k: v for k, v in as_dict(offerings[offering].get("parameters")).items() if isinstance(v, dict)}
    unknown = [k for k in given if k not in params]
    if unknown:
        raise UsageError(
            f"offering {offering!r} has no parameter {unknown[0]!r}",
            hint=did_you_mean(unknown[0], params, listing="its parameters"),
        )
    needed = [k for k, v in params.items() if v.get("required") and "default" not in v and k not in given]
    if needed:
        raise UsageError(
            f"offering {offering!r} needs a value for {', '.join(repr(k) for k in needed)}",
            hint=" ".join(f"--param {k}=…" for k in needed),
        )
    _check_new(as_list(bp.spec.get("resources")), {"name": name}, f"tenant {tenant!r}: spec.resources")
    values = {k: parameter_value(k, v, params[k]) for k, v in given.items()}
    text = resource_text(name, offering, params, values)
    item = plain(RoundTrip(text).data[0])
    return _edit(Path(bp.file), lambda o: insert(o, parse_path("spec.resources"), item, Where(), text=text))


def remove_tenant_item(root: Path, tenant: str, key: str, name: str) -> EditResult:
    """A tenant's service or resource (``key``: services, resources) removed by name."""
    bp = _tenant(load_project(root), tenant)
    what = {"services": "service", "resources": "resource"}[key]
    _named(bp.spec.get(key), name, f"{what} in tenant {tenant!r}", f"its {key}")
    return _edit(Path(bp.file), lambda o: remove(o, (Key("spec"), Key(key), Named(name))))
