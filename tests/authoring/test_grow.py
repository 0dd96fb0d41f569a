"""The platform grows by commands: from `genplat init` to two environments, three clusters and two tenants
with services, a resource and events, each step's git diff exactly the lines the command reports, comments
kept. Then the edits a list command refuses, and the ones it makes in the middle of a list."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import CliResult, run_genplat

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


def git(*args: str) -> str:
    return subprocess.run([*GIT, *args], capture_output=True, text=True, check=True).stdout


def ok(*args: str) -> CliResult:
    res = run_genplat(*args)
    assert res.code == 0, f"genplat {' '.join(args)} -> {res.code}\n{res.stdout}\n{res.stderr}"
    return res


def comments(root: Path) -> set[tuple[str, str]]:
    """Every comment line of every blueprint, by file."""
    return {
        (str(p.relative_to(root)), line.strip())
        for p in (root / "blueprints").rglob("*.yaml")
        for line in p.read_text().splitlines()
        if line.strip().startswith("#") or " # " in line
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`git init` + a README, then `genplat init`, committed."""
    root = tmp_path / "platform"
    root.mkdir()
    monkeypatch.chdir(root)
    git("init", "-q")
    (root / "README.md").write_bytes(b"# Our platform\n\nNotes of ours.\n")
    ok("init")
    git("add", "-A")
    git("commit", "-qm", "genplat init")
    return root


def step(root: Path, *args: str) -> tuple[int, int]:
    """Run one command; its reported line counts must be git's, and then it is committed."""
    before = comments(root)
    res = ok(*args)
    m = re.search(r"(\S+): (\d+) lines? added, (\d+) removed", res.stderr)
    assert m, res.stderr
    stat = [line.split("\t") for line in git("diff", "--numstat").splitlines()]
    assert [(int(a), int(r), f) for a, r, f in stat] == [(int(m.group(2)), int(m.group(3)), m.group(1))], (args, stat)
    lost = before - comments(root)
    assert not lost or (args[0] in ("remove", "service", "resource", "env", "cluster") and args[1] == "remove"), lost
    git("commit", "-qam", " ".join(args))
    return int(m.group(2)), int(m.group(3))


def test_a_platform_grows_by_commands_each_diff_as_reported(repo: Path) -> None:
    starter_comments = comments(repo)
    step(repo, "env", "add", "prod", "--cluster", "prod-eu", "--provider", "gke", "--region", "europe-west1")
    step(
        repo,
        "cluster", "add", "prod", "prod-us", "--provider", "eks", "--region", "us-east-1",
        "--capability", "knative-serving", "--capability", "knative-eventing", "--capability", "external-secrets",
        "--capability", "crossplane", "--capability", "flux",
    )  # fmt: skip
    step(repo, "add", "blueprints/tenants/web.yaml", "spec.environments", "{name: prod}")
    step(repo, "add", "blueprints/tenants/data.yaml", "spec.environments", "{name: prod, clusters: [prod-us]}")
    step(repo, "service", "add", "web", "api", "ghcr.io/example/api:1.0.0", "--port", "8081")
    step(
        repo,
        "service", "add", "data", "ingest", "registry.example.com/data/ingest:2.1.0",
        "--pipeline", "container-build", "--repository", "https://github.com/example/ingest",
    )  # fmt: skip
    step(repo, "resource", "add", "web", "cache", "postgres", "--param", "storageGB=30")
    step(
        repo,
        "add",
        "blueprints/tenants/data.yaml",
        "spec.events",
        "{name: orders, subscriber: api, filter: {type: order.created}}",
    )
    step(
        repo,
        "add",
        "blueprints/tenants/data.yaml",
        "spec.events",
        "{name: audits, subscriber: ingest}",
        "--before",
        "orders",
    )
    step(repo, "add", "blueprints/tenants/data.yaml", "spec.network.allowFrom", "web")
    step(repo, "move", "blueprints/tenants/web.yaml", "spec.services[api]", "--before", "frontend")
    assert step(repo, "set", "blueprints/tenants/web.yaml", "spec.services[api].port=8082") == (1, 1)

    platform = yaml.safe_load((repo / "blueprints" / "platform.yaml").read_text())["spec"]
    assert [e["name"] for e in platform["environments"]] == ["dev", "prod"]
    assert [c["name"] for e in platform["environments"] for c in e["clusters"]] == ["dev-1", "prod-eu", "prod-us"]
    web = yaml.safe_load((repo / "blueprints" / "tenants" / "web.yaml").read_text())["spec"]
    data = yaml.safe_load((repo / "blueprints" / "tenants" / "data.yaml").read_text())["spec"]
    assert [s["name"] for s in web["services"]] == ["api", "frontend"] and web["services"][0]["port"] == 8082
    assert [r["name"] for r in web["resources"]] == ["cache"] and web["resources"][0]["parameters"] == {"storageGB": 30}
    assert [e["name"] for e in data["events"]] == ["audits", "orders"] and data["network"] == {"allowFrom": ["web"]}
    assert starter_comments <= comments(repo)  # every comment init wrote is still there
    assert (repo / "README.md").read_bytes() == b"# Our platform\n\nNotes of ours.\n"
    ok("validate")
    ok("build")
    assert sorted(p.name for p in (repo / "out" / "prod").iterdir()) == ["prod-eu", "prod-us"]
    assert (repo / "out" / "prod" / "prod-us" / "tenants" / "data.yaml").is_file()
    assert not (repo / "out" / "prod" / "prod-eu" / "tenants" / "data.yaml").exists()  # data runs on prod-us only
    ok("check")


def test_removing_takes_the_item_and_its_comments_and_nothing_else(repo: Path) -> None:
    step(repo, "service", "add", "web", "api", "ghcr.io/example/api:1.0.0")
    web = repo / "blueprints" / "tenants" / "web.yaml"
    assert "# the small tier's defaults" in web.read_text()
    assert step(repo, "service", "remove", "web", "api") == (0, 7)
    assert "name: api" not in web.read_text() and "# the small tier's defaults" not in web.read_text()
    git("diff", "HEAD~2", "--exit-code", "--", str(web))  # byte for byte as before the add


def test_edits_a_list_command_refuses_leave_the_file_as_it_was(repo: Path) -> None:
    platform = repo / "blueprints" / "platform.yaml"
    before = platform.read_bytes()
    for args, code, words in (
        (["env", "add", "dev"], 2, "already has an environment named 'dev'"),
        (["cluster", "add", "qa", "qa-1"], 2, "no environment named 'qa'"),
        (["cluster", "add", "dev", "dev-1"], 2, "already has a cluster named 'dev-1'"),
        (["env", "remove", "dev"], 1, "unknown-environment"),  # the tenants run in it
        (
            ["add", "blueprints/platform.yaml", "spec.environments", "{name: qa}"],
            1,
            "missing required field 'clusters'",
        ),
        (["add", "blueprints/platform.yaml", "spec.environments", "{name: dev, clusters: []}"], 2, "already has"),
        (["add", "blueprints/platform.yaml", "spec.tiers", "{name: x}"], 2, "spec.tiers is not a list"),
        (["add", "blueprints/platform.yaml", "spec.environments", "{name: [}"], 2, "ITEM is not valid YAML"),
        (["remove", "blueprints/platform.yaml", "spec.environments[qa]"], 2, "has no item [qa]"),
        (["move", "blueprints/platform.yaml", "spec.environments[dev]", "--before", "qa"], 2, "has no item [qa]"),
    ):
        res = run_genplat(*args)
        assert res.code == code and words in res.stdout + res.stderr, (args, res)
        assert platform.read_bytes() == before, args
    web = repo / "blueprints" / "tenants" / "web.yaml"
    res = run_genplat("service", "add", "web", "api", "docker.io/library/nginx:1.27")
    assert (
        res.code == 1
        and "guardrail/image-registry" in res.stdout
        and web.read_bytes() == git("show", "HEAD:blueprints/tenants/web.yaml").encode()
    )
    # The finding is shown on the line the command would have written, which the file does not have.
    assert "  image: docker.io/library/nginx:1.27" in res.stdout and "^" in res.stdout
    res = run_genplat("resource", "add", "web", "db", "postgress")
    assert res.code == 2 and "did you mean 'postgres'?" in res.stderr
    res = run_genplat("resource", "add", "web", "db", "postgres", "--param", "size=3")
    assert res.code == 2 and "no parameter 'size'" in res.stderr and "storageGB" in res.stderr


def test_flow_lists_stay_on_their_line_and_dry_run_prints_the_diff(repo: Path) -> None:
    res = ok("add", "-n", "blueprints/platform.yaml", "spec.policies.allowedRegistries", "quay.io/example")
    assert "+    allowedRegistries: [ghcr.io/example, registry.example.com, quay.io/example]" in res.stdout
    assert git("status", "--porcelain") == ""
    assert step(repo, "add", "blueprints/platform.yaml", "spec.policies.allowedRegistries", "quay.io/example") == (1, 1)
