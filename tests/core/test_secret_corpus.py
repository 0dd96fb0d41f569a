"""The secret corpus end to end: every leak refused at its line, no output of genplat holding it; every
look-alike through validate, build, check, package and diff untouched; and the four commands agreeing.

The corpus (``secret_corpus.py``) builds its values at run time, so no secret-looking string is in Git.
Leaks sit where users put them: service ``env`` values, offering ``parameters``, build ``params``, the
tenant ``description`` (rendered into a namespace annotation), template text, and values a template
composes at render time (Jinja output, which only the build sees).
"""

from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest
import yaml

import genplat
from genplat.checks.checker import Checker
from genplat.core.objects import Origin, RenderedObject
from genplat.core.secrets import scan
from genplat.diff._mask import Masked, mask_object
from tests.conftest import run_genplat
from tests.core.secret_corpus import Case, leaks, lookalikes

BASE = Path(__file__).resolve().parents[1] / "validation" / "base"
K8S = "1.33"


def _q(value: str) -> str:
    """A YAML scalar on one line (JSON's double-quoted string is YAML)."""
    return json.dumps(value)


def _project(tmp: Path) -> Path:
    root = tmp / "project" / "blueprints"
    shutil.copytree(BASE, root)
    (root / "tenants" / "beta.yaml").unlink()
    return root


def _secrets_in(case: Case) -> list[str]:
    """What must never be printed or written: the value, and each secret the detector finds in it."""
    found = [case.value[h.start : h.end] for h in scan(case.value, key=case.name)]
    return [s for s in {case.value, *found} if len(s) >= 6]


def _tenant(lines_env: list[str], extra: list[str]) -> str:
    head = [
        "apiVersion: genplat.dev/v1alpha1",
        "kind: Tenant",
        "metadata:",
        "  name: acme",
        "spec:",
        "  tier: small",
        "  environments:",
        "    - name: dev",
        "  services:",
        "    - name: web",
        "      image: ghcr.io/acme/web:1.0.0",
        "      port: 8080",
        "      scaling: {min: 1, max: 3}",
        "      resources:",
        "        requests: {cpu: 100m, memory: 128Mi}",
        "        limits: {cpu: 500m, memory: 256Mi}",
        "      env:",
    ]
    return "\n".join([*head, *lines_env, *extra]) + "\n"


def _leak_project(tmp: Path) -> tuple[Path, dict[str, tuple[str, int]]]:
    """Every leak written where users write values; returns where each must be reported (file, line)."""
    root = _project(tmp)
    where: dict[str, tuple[str, int]] = {}
    cases = leaks()
    in_env = [c for i, c in enumerate(cases) if i % 6 not in (1, 2, 3)]
    in_params = [c for i, c in enumerate(cases) if i % 6 == 1]
    in_build = [c for i, c in enumerate(cases) if i % 6 == 2]
    in_template = [c for i, c in enumerate(cases) if i % 6 == 3]
    described = next(c for c in in_env if c.id == "stripe-live-secret")  # found by content, as prose needs
    in_env.remove(described)
    env_lines = [f"        L{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(in_env)]
    extra = [
        "      build:",
        "        pipeline: build",
        "        repository: https://git.example.com/acme/web",
        "        params:",
        *[f"          L{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(in_build)],
        "  resources:",
        "    - name: db",
        "      offering: postgres",
        "      parameters:",
        "        zone: europe-west1",
        *[f"        L{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(in_params)],
        f"  description: {_q('Acme web shop. Ops notes: ' + described.value)}",
    ]
    text = _tenant(env_lines, extra)
    (root / "tenants" / "acme.yaml").write_text(text, "utf-8")
    lines = text.splitlines()
    for c in [*in_env, *in_build, *in_params]:
        n = next(i for i, line in enumerate(lines, 1) if line.endswith(f"_{c.name}: {_q(c.value)}"))
        where[c.id] = ("acme.yaml", n)
    where[described.id] = ("acme.yaml", len(lines))
    template = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: leaky",
        "  namespace: {{ namespace }}",
        "data:",
        *[f"  T{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(in_template)],
    ]
    tdir = root / "templates" / "tenant"
    tdir.mkdir(parents=True)
    (tdir / "leaky.yaml.j2").write_text("\n".join(template) + "\n", "utf-8")
    for i, c in enumerate(in_template):
        where[c.id] = ("leaky.yaml.j2", template.index(f"  T{i}_{c.name}: {_q(c.value)}") + 1)
    return root, where


def _jinja(value: str) -> str:
    """A Jinja expression that builds ``value`` from 5-character pieces: no piece looks like a secret,
    so only the rendered output holds one."""
    return "{{ " + " ~ ".join(_q(value[i : i + 5]) for i in range(0, len(value), 5)) + " }}"


def _jinja_project(tmp: Path, cases: t.Sequence[Case]) -> tuple[Path, dict[str, int]]:
    root = _project(tmp)
    (root / "tenants" / "acme.yaml").write_text(_tenant(["        LOG_LEVEL: info"], []), "utf-8")
    template = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: composed",
        "  namespace: {{ namespace }}",
        "  annotations:",
        f"    acme.example/{cases[0].name.lower().replace('_', '-')}: {_jinja(cases[0].value)}",
        "data:",
        *[f"  J{i}_{c.name}: {_jinja(c.value)}" for i, c in enumerate(cases[1:])],
    ]
    tdir = root / "templates" / "tenant"
    tdir.mkdir(parents=True)
    (tdir / "composed.yaml.j2").write_text("\n".join(template) + "\n", "utf-8")
    return root, {c.id: 7 if i == 0 else 9 + i - 1 for i, c in enumerate(cases)}


def _all_text(folder: Path) -> str:
    if not folder.exists():
        return ""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file())


def _assert_absent(secrets: t.Iterable[str], **outputs: str) -> None:
    for s in secrets:
        for what, text in outputs.items():
            assert s not in text, f"a secret ({s[:4]}…) appears in {what}"


def test_the_corpus_is_big_enough() -> None:
    assert len(leaks()) >= 40 and len(lookalikes()) >= 40
    assert len({c.id for c in leaks()} | {c.id for c in lookalikes()}) == len(leaks()) + len(lookalikes())


def test_every_leak_is_refused_at_its_line_and_printed_nowhere(tmp_path: Path) -> None:
    root, where = _leak_project(tmp_path)
    project = root.parent
    got: dict[tuple[str, int], list[str]] = {}
    for d in genplat.validate(genplat.load_project(root)):
        if d.rule == "inline-secret":
            got.setdefault((Path(d.file or "").name, d.line or 0), []).append(d.message)
    missing = {cid: at for cid, at in where.items() if at not in got}
    assert not missing, missing
    outputs: dict[str, str] = {}
    for fmt in ("text", "json", "github"):
        r = run_genplat("validate", str(root), "--format", fmt)
        assert r.code == 1
        outputs[f"validate --format {fmt}"] = r.stdout + r.stderr
        r = run_genplat("build", str(project), "--format", fmt)
        assert r.code == 1
        outputs[f"build --format {fmt}"] = r.stdout + r.stderr
    doc = json.loads(run_genplat("validate", str(root), "--format", "json").stdout)
    assert doc["summary"]["errors"] >= len(where)
    assert not (project / "out").exists(), "build wrote out/ for a project with secrets"
    for c in leaks():
        _assert_absent(_secrets_in(c), **outputs)


def test_every_composed_leak_is_refused_by_the_build_at_its_template_line(tmp_path: Path) -> None:
    cases = leaks()
    root, lines = _jinja_project(tmp_path, cases)
    project = root.parent
    assert not [d for d in genplat.validate(genplat.load_project(root)) if d.is_error]  # only the output has them
    result = genplat.build(genplat.BuildOptions(project=project))
    assert not result.ok and not result.written
    got = {
        d.line for d in result.diagnostics if d.rule == "secret-value" and (d.file or "").endswith("composed.yaml.j2")
    }
    missing = {c.id: lines[c.id] for c in cases if lines[c.id] not in got}
    assert not missing, missing
    outputs = {}
    for fmt in ("text", "json"):
        r = run_genplat("build", str(project), "--format", fmt)
        assert r.code == 1
        outputs[f"build --format {fmt}"] = r.stdout + r.stderr
    outputs["out/"] = _all_text(project / "out")
    for c in cases:
        _assert_absent(_secrets_in(c), **outputs)


def test_lookalikes_pass_validate_build_check_package_and_diff(tmp_path: Path) -> None:
    root = _project(tmp_path)
    project = root.parent
    cases = lookalikes()
    (root / "tenants" / "acme.yaml").write_text(
        _tenant([f"        X{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(cases)], []), "utf-8"
    )
    template = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: lookalikes", "  namespace: {{ namespace }}"]
    template += ["data:", *[f"  X{i}_{c.name}: {_q(c.value)}" for i, c in enumerate(cases)]]
    (root / "templates" / "tenant").mkdir(parents=True)
    (root / "templates" / "tenant" / "lookalikes.yaml.j2").write_text("\n".join(template) + "\n", "utf-8")
    r = run_genplat("validate", str(root))
    assert r.code == 0, r.stdout + r.stderr
    r = run_genplat("build", str(project))
    assert r.code == 0, r.stdout + r.stderr
    r = run_genplat("check", str(project / "out"), "--kubernetes-version", K8S, "--format", "json")
    assert not [d for d in json.loads(r.stdout)["diagnostics"] if d["rule"] == "secret-value"], r.stdout
    r = run_genplat("package", str(project / "out"))
    assert r.code == 0, r.stdout + r.stderr
    out_text = _all_text(project / "out")
    for c in cases:  # written as they are: nothing was masked or dropped
        assert json.dumps(c.value)[1:-1] in out_text or c.value in out_text or "\n" in c.value, c.id


def test_validate_build_check_and_diff_classify_every_string_alike(tmp_path: Path) -> None:
    """One test feeds the whole corpus to the four: validate (an env value), the build gate (the checker
    the build runs, on a ConfigMap), genplat check (the same ConfigMaps as a manifest file) and the diff's
    masking. For every string the four verdicts are equal, and equal to the corpus's."""
    cases = [(c, True) for c in leaks()] + [(c, False) for c in lookalikes()]
    names = {c.id: f"C{i}_{c.name}" for i, (c, _) in enumerate(cases)}
    # validate
    root = _project(tmp_path)
    (root / "tenants" / "acme.yaml").write_text(
        _tenant([f"        {names[c.id]}: {_q(c.value)}" for c, _ in cases], []), "utf-8"
    )
    flagged_paths = {d.path for d in genplat.validate(genplat.load_project(root)) if d.rule == "inline-secret"}
    validate = {c.id: f"spec.services[0].env.{names[c.id]}" in flagged_paths for c, _ in cases}
    # the build gate and genplat check: one ConfigMap per case
    maps = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"case-{i}", "namespace": "acme-dev"},
            "data": {names[c.id]: c.value},
        }
        for i, (c, _) in enumerate(cases)
    ]
    checker = Checker(kubernetes_version=K8S)
    objects = [RenderedObject(m, Origin("tenants/acme.yaml", 1)) for m in maps]
    gate_refs = {d.object for d in checker.check(objects) if d.rule == "secret-value"}
    build = {c.id: f"ConfigMap/acme-dev/case-{i}" in gate_refs for i, (c, _) in enumerate(cases)}
    manifest = tmp_path / "manifests.yaml"
    manifest.write_text(yaml.safe_dump_all(maps, sort_keys=False), "utf-8")
    check_refs = {d.object for d in genplat.check([manifest], kubernetes_version=K8S) if d.rule == "secret-value"}
    check = {c.id: f"ConfigMap/acme-dev/case-{i}" in check_refs for i, (c, _) in enumerate(cases)}
    diff = {
        c.id: isinstance(mask_object(m)["data"][names[c.id]], Masked) for m, (c, _) in zip(maps, cases, strict=True)
    }
    expected = {c.id: leak for c, leak in cases}
    disagree = {
        cid: {
            "expected": expected[cid],
            "validate": validate[cid],
            "build": build[cid],
            "check": check[cid],
            "diff": diff[cid],
        }
        for cid in expected
        if len({expected[cid], validate[cid], build[cid], check[cid], diff[cid]}) > 1
    }
    assert not disagree, disagree


@pytest.mark.parametrize("case", leaks(), ids=lambda c: c.id)
def test_masked_text_never_holds_the_secret(case: Case) -> None:
    from genplat.core.secrets import redact

    text = f"value {case.value!r} under {case.name}"
    for s in _secrets_in(case):
        if s != case.value or not case.value.count("\n"):
            assert s not in redact(text, [case.value[h.start : h.end] for h in scan(case.value, key=case.name)])
