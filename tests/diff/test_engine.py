"""The engine's rules one at a time: matching, masking, quantities and each risk flag."""

from __future__ import annotations

import json
import typing as t

import pytest

from genplat.diff import (
    Snapshot,
    diff_snapshots,
    format_json,
    format_markdown,
    format_text,
    parse_quantity,
    read_output,
)
from genplat.diff._compare import compare
from genplat.diff._mask import mask_object, secretish_key
from genplat.diff._model import MISSING
from genplat.diff._values import path_text
from genplat.rendering.emit import dump_documents

NS = "team-a"


def obj(kind: str, name: str, api: str = "v1", ns: str | None = NS, **body: t.Any) -> dict[str, t.Any]:
    meta: dict[str, t.Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


def snap(files: dict[tuple[str, str], list[dict[str, t.Any]]], label: str) -> Snapshot:
    return Snapshot(
        {
            k: dump_documents((f"blueprints/x.yaml:{i + 1}", d) for i, d in enumerate(docs)).encode()
            for k, docs in files.items()
        },
        label,
    )


def run(before: list[dict[str, t.Any]], after: list[dict[str, t.Any]], path: str = "tenants/a.yaml") -> t.Any:
    return diff_snapshots(snap({("dev/c1", path): before}, "base"), snap({("dev/c1", path): after}, "head"))


def rules(result: t.Any) -> list[tuple[str, str]]:
    return [(r.rule, r.message) for r in result.risks]


# --- matching -------------------------------------------------------------------------------------


def test_key_order_comments_and_document_order_are_ignored() -> None:
    a = obj("ConfigMap", "x", data={"a": "1", "b": "2"})
    b = obj("ConfigMap", "y", data={"k": "v"})
    before = snap({("dev/c1", "tenants/a.yaml"): [a, b]}, "base")
    text = "# a comment\n---\n" + "---\n".join(
        json.dumps(dict(reversed(list(d.items())))) + "\n" for d in [b, a]
    )  # JSON is YAML too
    after = Snapshot({("dev/c1", "tenants/a.yaml"): text.encode()}, "head")
    assert diff_snapshots(before, after).objects == []


def test_named_items_matched_by_name_not_position() -> None:
    c = lambda n, img: {"name": n, "image": img}
    before = obj(
        "Deployment",
        "w",
        api="apps/v1",
        spec={"template": {"spec": {"containers": [c("app", "r.io/a:1"), c("side", "r.io/s:1")]}}},
    )
    after = obj(
        "Deployment",
        "w",
        api="apps/v1",
        spec={
            "template": {"spec": {"containers": [c("init", "r.io/i:1"), c("app", "r.io/a:2"), c("side", "r.io/s:1")]}}
        },
    )
    changes = run([before], [after]).objects[0].changes
    assert [(ch.op, path_text(ch.path)) for ch in changes] == [
        ("add", "spec.template.spec.containers[name=init]"),
        ("change", "spec.template.spec.containers[name=app].image"),
    ]


def test_unnamed_list_items_aligned_and_scalar_lists_whole() -> None:
    old = {"rules": [{"a": 1}, {"b": 2}], "verbs": ["get", "list"]}
    new = {"rules": [{"z": 0}, {"a": 1}, {"b": 3}], "verbs": ["get", "list", "watch"]}
    assert [(c.op, path_text(c.path), c.old, c.new) for c in compare(old, new)] == [
        ("add", "rules[0]", MISSING, {"z": 0}),
        ("change", "rules[2].b", 2, 3),
        ("change", "verbs", ["get", "list"], ["get", "list", "watch"]),
    ]


def test_rename_move_between_bundles_file_move_and_api_version_change() -> None:
    cm = obj("ConfigMap", "settings", data={"x": "1"})
    renamed = obj("ConfigMap", "config", data={"x": "1"})
    pol = obj("PodDisruptionBudget", "pdb", api="policy/v1beta1", spec={"minAvailable": 1})
    pol_v1 = dict(pol, apiVersion="policy/v1")
    sa = obj("ServiceAccount", "bot")
    base = snap(
        {
            ("dev/c1", "tenants/a.yaml"): [cm, pol, sa],
            ("dev/c2", "tenants/a.yaml"): [obj("Secret", "s", type="Opaque")],
        },
        "b",
    )
    head = snap(
        {
            ("dev/c1", "tenants/a.yaml"): [renamed, pol_v1],
            ("dev/c1", "tenants/b.yaml"): [sa],
            ("dev/c3", "tenants/a.yaml"): [obj("Secret", "s", type="Opaque")],
        },
        "h",
    )
    got = {
        (d.status, d.key.kind, d.key.bundle, d.base.key.name if d.base else None)
        for d in diff_snapshots(base, head).objects
    }
    assert got == {
        ("renamed", "ConfigMap", "dev/c1", "settings"),
        ("changed", "PodDisruptionBudget", "dev/c1", "pdb"),
        ("moved", "ServiceAccount", "dev/c1", "bot"),
        ("moved", "Secret", "dev/c3", "s"),
    }
    risks = rules(diff_snapshots(base, head))
    assert ("object-deleted", "moved to bundle dev/c3: deleted from this bundle's cluster") in risks
    assert any(r == "object-deleted" and m.startswith("renamed to ConfigMap team-a/config") for r, m in risks)


def test_identical_files_are_not_parsed() -> None:
    good = snap({("b", "tenants/a.yaml"): [obj("ConfigMap", "x")]}, "x").files
    broken = {("b", "tenants/z.yaml"): b"key: [unclosed\n", **good}
    assert diff_snapshots(Snapshot(broken, "a"), Snapshot(dict(broken), "b")).objects == []
    with pytest.raises(Exception, match=r"tenants/z.yaml:2:1: YAML syntax error"):
        diff_snapshots(Snapshot(broken, "a"), Snapshot(good, "b"))


def test_output_folder_layout(tmp_path: t.Any) -> None:
    (tmp_path / "dev" / "c1" / "tenants").mkdir(parents=True)
    (tmp_path / "dev" / "c1" / "kustomization.yaml").write_text("resources: []\n")
    (tmp_path / "dev" / "c1" / "tenants" / "a.yaml").write_text(
        "---\n# source: bp.yaml:3\nkind: X\napiVersion: v1\nmetadata: {name: n}\n"
    )
    (tmp_path / "_gitops").mkdir()
    (tmp_path / "_gitops" / "w.yaml").write_text("kind: Y\n")
    (tmp_path / ".oci").mkdir()
    (tmp_path / "genplat.lock.json").write_text("{}")
    s = read_output(tmp_path)
    assert list(s.files) == [("dev/c1", "tenants/a.yaml")]
    d = diff_snapshots(Snapshot({}, "empty"), s).objects[0]
    assert (d.doc.tenant, d.doc.line, d.doc.source) == ("a", 3, "bp.yaml:3")


# --- masking --------------------------------------------------------------------------------------

SECRET = "hunter2-very-secret"


@pytest.mark.parametrize(
    "key,masked",
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("apiKey", True),
        ("client_secret", True),
        ("token", True),
        ("privateKey", True),
        ("secretName", False),
        ("passwordSecretRef", False),
        ("tokenSecretRef", False),
        ("imagePullSecrets", True),
        ("automountServiceAccountToken", True),
        ("AWS_ACCESS_KEY_ID", False),
        ("image", False),
    ],
)
def test_secretish_keys(key: str, masked: bool) -> None:
    assert secretish_key(key) is masked


def test_masking_everywhere_it_should_and_nowhere_else() -> None:
    o = mask_object(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": SECRET}},
            "data": {"anything": SECRET},
            "stringData": {"x": SECRET},
        }
    )
    assert SECRET not in json.dumps(o, default=str)
    pod = mask_object(
        obj(
            "Pod",
            "p",
            spec={
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "app",
                        "image": "r.io/a:1",
                        "env": [
                            {"name": "API_TOKEN", "value": SECRET},
                            {"name": "LOG_LEVEL", "value": "debug"},
                            {"name": "DB_URL", "value": f"postgres://app:{SECRET}@db:5432/x"},
                            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                        ],
                    }
                ],
                "volumes": [{"name": "v", "secret": {"secretName": "tls"}}],
            },
        )
    )
    text = json.dumps(pod, default=str)
    assert SECRET not in text
    for visible in ("debug", "postgres://app:***@db:5432/x", '"secretName": "tls"', '"key": "password"', "false"):
        assert visible in text
    es = mask_object(
        obj(
            "ExternalSecret",
            "e",
            api="external-secrets.io/v1",
            spec={
                "data": [{"secretKey": "password", "remoteRef": {"key": "vault/db", "property": "password"}}],
                "target": {"template": {"data": {"config": f"pw={SECRET}"}}},
            },
        )
    )
    text = json.dumps(es, default=str)
    assert SECRET not in text and '"secretKey": "password"' in text


def test_changed_secret_reported_without_its_values() -> None:
    a = obj("Secret", "s", type="Opaque", stringData={"password": "old-" + SECRET})
    b = obj("Secret", "s", type="Opaque", stringData={"password": "new-" + SECRET})
    result = run([a], [b])
    assert [(c.op, path_text(c.path), c.masked) for c in result.objects[0].changes] == [
        ("change", "stringData.password", True)
    ]
    for out in (format_text(result), format_markdown(result), format_json(result)):
        assert SECRET not in out and "<masked>" in out
    assert run([a], [a]).objects == []


# --- quantities and risk flags ----------------------------------------------------------------------


def test_quantities() -> None:
    q = parse_quantity
    assert q("500m") < q("1") < q("1k") < q("1Ki") < q("1M") < q("1Mi") < q("1G") < q("1Gi")  # type: ignore[operator]
    assert q("1.5Gi") == 1536 * 1024 * 1024 and q("2e3") == 2000 and q(3) == 3 and q("0.5") == q("500m")
    assert q("1E") == 10**18 and q("abc") is None and q(True) is None


def test_quota_changes_say_their_direction() -> None:
    rq = lambda **hard: obj("ResourceQuota", "q", spec={"hard": hard})
    assert rules(run([rq(cpu="1", memory="1Gi", pods=10)], [rq(cpu="1500m", memory="1Gi", pods=10)])) == [
        ("quota-changed", "raised: hard[cpu] 1 → 1500m")
    ]
    assert rules(run([rq(cpu="1", pods="5")], [rq(cpu="1")])) == [
        ("quota-changed", "no longer limited: hard[pods] (was 5)")
    ]
    # A downgrade is a change too (running workloads may no longer fit), and says it is one.
    assert rules(run([rq(cpu="2")], [rq(cpu="1900m")])) == [("quota-changed", "lowered: hard[cpu] 2 → 1900m")]
    assert rules(run([rq(cpu="1", memory="1Gi")], [rq(cpu="2", memory="1G", pods=3)])) == [
        ("quota-changed", "raised: hard[cpu] 1 → 2; lowered: hard[memory] 1Gi → 1G; newly limited: hard[pods] 3")
    ]
    assert rules(run([rq(cpu="2", memory="1Gi")], [rq(cpu="2000m", memory="1024Mi")])) == []  # equal quantities
    lr = lambda cpu: obj("LimitRange", "l", spec={"limits": [{"type": "Container", "max": {"cpu": cpu}}]})
    assert rules(run([lr("1")], [lr("2")])) == [("quota-changed", "raised: Container max[cpu] 1 → 2")]


def binding(kind: str, role: str, *subjects: str) -> dict[str, t.Any]:
    return obj(
        kind,
        "b",
        api="rbac.authorization.k8s.io/v1",
        ns=NS if kind == "RoleBinding" else None,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        subjects=[{"kind": "Group", "name": s} for s in subjects],
    )


def test_rbac_bindings() -> None:
    assert rules(run([binding("RoleBinding", "view", "devs")], [binding("RoleBinding", "edit", "devs")])) == [
        ("rbac-widened", "roleRef ClusterRole view → ClusterRole edit")
    ]
    assert rules(run([binding("RoleBinding", "edit", "devs")], [binding("RoleBinding", "view", "devs")])) == []
    # A standard tenant grant (admin/edit/view in the tenant's namespace) is in the summary, not a flag...
    assert rules(run([binding("RoleBinding", "view", "devs")], [binding("RoleBinding", "view", "devs", "all")])) == []
    assert rules(run([], [binding("RoleBinding", "admin", "devs")])) == []
    # ...but the same binding outside a tenant's file, a broader role or another namespace's account is.
    assert rules(
        run(
            [binding("RoleBinding", "view", "devs")],
            [binding("RoleBinding", "view", "devs", "all")],
            path="platform/rbac.yaml",
        )
    ) == [("rbac-widened", "grants ClusterRole view to more subjects: Group all")]
    assert rules(run([], [binding("RoleBinding", "cluster-admin", "devs")])) == [
        ("rbac-widened", "grants ClusterRole cluster-admin to Group devs")
    ]
    foreign = binding("RoleBinding", "edit")
    foreign["subjects"] = [{"kind": "ServiceAccount", "name": "ci", "namespace": "other"}]
    assert rules(run([], [foreign])) == [("rbac-widened", "grants ClusterRole edit to ServiceAccount other/ci")]
    assert rules(run([], [binding("ClusterRoleBinding", "cluster-admin", "ops")])) == [
        ("rbac-widened", "cluster-wide: grants ClusterRole cluster-admin to Group ops")
    ]
    assert rules(run([], [binding("ClusterRoleBinding", "view", "ops")])) == [
        ("rbac-widened", "cluster-wide: grants ClusterRole view to Group ops")
    ]


def test_rbac_roles() -> None:
    def role(*rules_: t.Any) -> t.Any:
        return obj("Role", "r", api="rbac.authorization.k8s.io/v1", rules=list(rules_))

    def r(verbs: t.Any, res: t.Any, groups: t.Any = ("",), names: t.Any = ()) -> dict[str, t.Any]:
        return {
            "apiGroups": list(groups),
            "resources": list(res),
            "verbs": list(verbs),
            **({"resourceNames": list(names)} if names else {}),
        }

    assert rules(run([role(r(["get"], ["pods"]))], [role(r(["get", "delete"], ["pods"]))])) == [
        ("rbac-widened", "grants more: delete pods")
    ]
    assert rules(run([role(r(["*"], ["pods"]))], [role(r(["get", "delete"], ["pods"]))])) == []
    assert rules(run([role(r(["get"], ["secrets"], names=["a"]))], [role(r(["get"], ["secrets"]))])) == [
        ("rbac-widened", "grants more: get secrets")
    ]
    assert rules(run([role(r(["get"], ["deployments"], ["apps"]))], [role(r(["get"], ["deployments"], ["*"]))])) == [
        ("rbac-widened", "grants more: get deployments.*")
    ]


def policy(**spec: t.Any) -> dict[str, t.Any]:
    return obj("NetworkPolicy", "p", api="networking.k8s.io/v1", spec={"podSelector": {}, **spec})


def ns_in(*names: str) -> dict[str, t.Any]:
    return {
        "namespaceSelector": {
            "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}]
        }
    }


def test_network_policy_loosened_and_tightened() -> None:
    base = policy(policyTypes=["Ingress", "Egress"], ingress=[{"from": [ns_in("a")], "ports": [{"port": 80}]}])
    wider_peer = policy(
        policyTypes=["Ingress", "Egress"], ingress=[{"from": [ns_in("a", "b")], "ports": [{"port": 80}]}]
    )
    narrower = policy(
        policyTypes=["Ingress", "Egress"], ingress=[{"from": [ns_in("a")], "ports": [{"port": 80, "protocol": "TCP"}]}]
    )
    any_port = policy(policyTypes=["Ingress", "Egress"], ingress=[{"from": [ns_in("a")]}])
    no_egress = policy(policyTypes=["Ingress"], ingress=[{"from": [ns_in("a")], "ports": [{"port": 80}]}])
    assert [r for r, _ in rules(run([base], [wider_peer]))] == ["network-policy-loosened"]
    assert rules(run([base], [narrower])) == []
    assert rules(run([wider_peer], [base])) == []
    assert [m for _, m in rules(run([base], [any_port]))] == ["ingress rule allows more: from namespace a on any port"]
    assert [m for _, m in rules(run([base], [wider_peer]))] == [
        "ingress rule allows more: from namespaces a, b (new: b) on TCP/80"
    ]
    peers = policy(
        policyTypes=["Ingress", "Egress"],
        ingress=[
            {
                "from": [
                    ns_in("a"),  # allowed before: not named again
                    {"podSelector": {"matchLabels": {"app": "web"}}},
                    {
                        "namespaceSelector": {},
                        "podSelector": {
                            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db", "cache"]}]
                        },
                    },
                    {"namespaceSelector": {"matchLabels": {"team": "x"}}},
                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                ],
                "ports": [{"port": 80}],
            }
        ],
    )
    assert [m for _, m in rules(run([base], [peers]))] == [
        "ingress rule allows more: from pods where app=web in this namespace; pods where tier notin (cache, db) in "
        "all namespaces; namespaces where team=x; 10.0.0.0/8 except 10.1.0.0/16 on TCP/80"
    ]
    assert rules(run([base], [no_egress])) == [("network-policy-loosened", "policyTypes no longer include Egress")]
    assert ("network-policy-loosened", "deleted: the traffic it restricted is no longer restricted by it") in rules(
        run([base], [])
    )
    cidr = lambda c, *ex: policy(
        policyTypes=["Egress"], egress=[{"to": [{"ipBlock": {"cidr": c, "except": list(ex)}}]}]
    )
    assert rules(run([cidr("10.0.0.0/8")], [cidr("10.1.0.0/16")])) == []
    assert rules(run([cidr("10.0.0.0/8", "10.9.0.0/16")], [cidr("10.0.0.0/8")])) != []


def test_image_from_new_registry() -> None:
    d = lambda img: obj(
        "Deployment", "w", api="apps/v1", spec={"template": {"spec": {"containers": [{"name": "a", "image": img}]}}}
    )
    assert rules(run([d("ghcr.io/acme/a:1")], [d("ghcr.io/acme/a:2")])) == []
    assert rules(run([d("ghcr.io/acme/a:1")], [d("evil.example:5000/a:1")])) == [
        ("image-registry-changed", "image evil.example:5000/a:1 comes from registry evil.example:5000 (was ghcr.io)")
    ]
    assert rules(run([d("ghcr.io/acme/a:1")], [d("nginx:1.27")])) == [
        ("image-registry-changed", "image nginx:1.27 comes from registry docker.io (was ghcr.io)")
    ]


def test_markdown_stays_under_the_limit_and_summarises_the_rest() -> None:
    many = [obj("ConfigMap", f"cm-{i:04d}", data={"payload": "x" * 300}) for i in range(400)]
    rb = [
        dict(binding("RoleBinding", "cluster-admin", f"g{i}"), metadata={"name": f"rb-{i}", "namespace": NS})
        for i in range(400)
    ]
    result = run([], many + rb)
    text = format_markdown(result, max_chars=20_000)
    assert len(text) <= 20_000
    assert text.startswith("<!-- genplat-diff -->\n")
    assert "more risk flags" in text and "more changes not shown" in text
    assert text.count("<details>") == text.count("</details>")
    full = format_markdown(result)
    assert len(full) <= 65_536


def test_oci_layout_side_lines_up_with_its_bundle(tmp_path: t.Any) -> None:
    """An OCI bundle (here from a local OCI layout) is compared with the same bundle of a folder."""
    from genplat.diff import diff
    from genplat.packaging.artifact import package_bundle
    from genplat.packaging.layout import write_layout

    from . import outputs as o

    o.write(o.example(), tmp_path / "out")
    bundle = tmp_path / "out" / "dev" / "dev-eu"
    files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    write_layout(
        tmp_path / "layout",
        {"dev-dev-eu": package_bundle(files, fmt="flux"), "dev-dev-eu-imgpkg": package_bundle(files, fmt="imgpkg")},
    )
    same = diff(f"oci:{tmp_path / 'layout'}:dev-dev-eu", str(tmp_path / "out"), project=tmp_path)
    assert same.objects == [] and same.base.kind == "oci"
    p = o.example()
    p.tenants[0].services[0].image = "ghcr.io/acme/globex-checkout:9"
    o.write(p, tmp_path / "new")
    changed = diff(
        f"oci:{tmp_path / 'layout'}:dev-dev-eu-imgpkg", str(tmp_path / "new"), project=tmp_path, bundles=["dev/dev-eu"]
    )
    assert [(d.status, d.key.bundle, d.key.name) for d in changed.objects] == [("changed", "dev/dev-eu", "checkout")]


def test_aliases_are_refused_with_a_position() -> None:
    bomb = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a [1, 2]\n  b: *a\n"
    with pytest.raises(Exception, match=r"tenants/a.yaml:6:6: YAML syntax error: anchors and aliases are not allowed"):
        diff_snapshots(Snapshot({}, "a"), Snapshot({("b", "tenants/a.yaml"): bomb}, "b"))


def test_yaml_1_1_keys_and_timestamps_read_as_kubernetes_does() -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  on: 2024-01-01\n  1: yes\n"
    d = diff_snapshots(Snapshot({}, "a"), Snapshot({("b", "platform/a.yaml"): doc}, "b")).objects[0]
    assert d.doc.obj["data"] == {"true": "2024-01-01", "1": True}


def test_no_secret_literal_in_any_format_over_a_whole_platform(tmp_path: t.Any) -> None:
    """A secret literal in a container env, changed on one side and in a new tenant on the other, is
    never printed, in any format (tests/diff/outputs.py writes it as STRIPE_API_KEY_FALLBACK)."""
    from genplat.diff import read_output

    from . import outputs as o

    base = o.example()
    head = o.clone(base)
    head.tenants[0].services[0].env["STRIPE_API_KEY"] = "sk_live_rotated_do_not_print"
    head.tenants.append(
        o.Tenant(
            "hooli",
            "small",
            ["gavin@hooli.example"],
            ["hooli-devs"],
            environments=["dev"],
            services=[
                o.Service(
                    "search",
                    "ghcr.io/acme/search:1",
                    [{"latestRevision": True, "percent": 100}],
                    {"SEARCH_API_KEY": "sk_live_new_do_not_print"},
                )
            ],
        )
    )
    result = diff_snapshots(
        read_output(o.write(base, tmp_path / "base")), read_output(o.write(head, tmp_path / "head"))
    )
    changed = [c for d in result.objects if d.status == "changed" for c in d.changes]
    assert [(path_text(c.path), c.masked) for c in changed] == [
        ("spec.template.spec.containers[name=app].env[name=STRIPE_API_KEY_FALLBACK].value", True)
    ] * 2
    for out in (format_text(result), format_markdown(result), format_json(result)):
        assert "do_not_print" not in out and "<masked>" in out


def test_removed_xrd_names_the_kinds_it_takes_with_it() -> None:
    def xrd(**names: t.Any) -> dict[str, t.Any]:
        return obj(
            "CompositeResourceDefinition",
            "xdbs.acme.example",
            api="apiextensions.crossplane.io/v1",
            ns=None,
            spec={"group": "acme.example", **names},
        )

    v1 = xrd(names={"kind": "XDatabase", "plural": "xdbs"}, claimNames={"kind": "Database", "plural": "dbs"})
    v2 = xrd(names={"kind": "Database", "plural": "dbs"})
    assert rules(run([v1], [])) == [
        (
            "crd-removed",
            "deleted; Crossplane deletes the XDatabase and Database (claim) CRDs "
            "it defines, and with them every such resource and the resources "
            "composed for it",
        )
    ]
    assert rules(run([v2], [])) == [
        (
            "crd-removed",
            "deleted; Crossplane deletes the Database CRD it defines, and with "
            "it every Database and the resources composed for it",
        )
    ]
    assert rules(run([xrd()], [])) == [
        ("crd-removed", "deleted; Crossplane deletes the CRDs it defines, and every resource of those types")
    ]


# --- protected objects ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "annotation", [{"kustomize.toolkit.fluxcd.io/prune": "disabled"}, {"kapp.k14s.io/delete-strategy": "orphan"}]
)
def test_removing_a_protected_object_is_flagged_as_such(annotation: dict[str, str]) -> None:
    ns = obj("Namespace", NS, ns=None, metadata={"name": NS, "annotations": dict(annotation)})
    db = obj("PostgresInstance", "orders", api="platform.acme.example/v1alpha1")
    db["metadata"]["annotations"] = dict(annotation)
    cm = obj("ConfigMap", "settings")
    result = run([ns, db, cm], [])
    found = rules(result)
    protected = [(r, m) for r, m in found if r == "kept-on-removal"]
    assert len(protected) == 2 and all("orphaned" in m and next(iter(annotation)) in m for _, m in protected)
    # A protected namespace is not deleted, so what is inside is flagged one by one.
    assert not [r for r, _ in found if r == "namespace-removed"]
    assert ("object-deleted", "deleted") in found


def test_unprotected_removal_is_not_flagged_as_protected() -> None:
    found = rules(run([obj("PostgresInstance", "orders", api="platform.acme.example/v1alpha1")], []))
    assert [r for r, _ in found] == ["object-deleted"]


# --- multi-line text ------------------------------------------------------------------------------

SCRIPT = "#!/bin/sh\nset -eu\necho building\nmake all\necho done\n"


def test_multiline_strings_are_diffed_by_line_in_text_and_markdown() -> None:
    cm = lambda script, **data: obj("ConfigMap", "build", data={"build.sh": script, **data})
    result = run([cm(SCRIPT)], [cm(SCRIPT.replace("make all\n", "make all\nmake test\n"))])
    md = format_markdown(result)
    assert "\n+make test\n" in md and "\n make all\n" in md and "@@ -2,4 +2,5 @@" in md
    assert "\\n" not in md  # no escaped line breaks
    text = format_text(result)
    assert "            +make test\n" in text and '          data["build.sh"]:\n' in text
    # JSON keeps both values whole.
    change = json.loads(format_json(result))["objects"][0]["changes"][0]
    assert change["old"] == SCRIPT and "make test" in change["new"]
    # A whole multi-line value that comes or goes is a literal block, not an escaped string.
    added = format_markdown(run([cm(SCRIPT)], [cm(SCRIPT, **{"test.sh": "#!/bin/sh\nmake test\n"})]))
    assert "+ |\n+   #!/bin/sh\n+   make test\n" in added
    # Only the final line break differs: said so rather than an empty diff.
    assert "only the line break at the end differs" in format_markdown(run([cm("a\nb")], [cm("a\nb\n")]))


def test_masked_multiline_values_are_not_diffed_by_line() -> None:
    key = "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n"
    cert = "-----BEGIN CERTIFICATE-----\nMIIB{}\n-----END CERTIFICATE-----\n"
    before = obj("ConfigMap", "tls", data={"key": key.format("AAAA" + SECRET), "cert": cert.format("old")})
    after = obj("ConfigMap", "tls", data={"key": key.format("BBBB" + SECRET), "cert": cert.format("new")})
    result = run([before], [after])
    for out in (format_text(result), format_markdown(result)):
        assert SECRET not in out and "<masked>" in out
        assert "-MIIBold" in out and "+MIIBnew" in out  # a public certificate is text like any other


def knative(name: str, image: str) -> dict[str, t.Any]:
    return obj(
        "Service",
        "checkout",
        api="serving.knative.dev/v1",
        spec={"template": {"metadata": {"name": name}, "spec": {"containers": [{"name": "app", "image": image}]}}},
    )


def test_a_revision_rename_that_follows_the_template_is_folded() -> None:
    result = run([knative("checkout-aaaaa", "r.io/a:1")], [knative("checkout-bbbbb", "r.io/a:2")])
    md, text = format_markdown(result), format_text(result)
    for out in (md, text):
        assert "revision renamed checkout-aaaaa → checkout-bbbbb: a revision's name changes with its template" in (
            out.replace("Revision renamed", "revision renamed")
        )
        assert "spec.template.metadata.name" not in out
    # Alone, a rename is a change of its own and shown as one.
    alone = run([knative("checkout-aaaaa", "r.io/a:1")], [knative("checkout-v2", "r.io/a:1")])
    assert "spec.template.metadata.name" in format_markdown(alone) and "revision renamed" not in format_text(alone)


def test_a_new_tenant_in_two_clusters_says_what_it_is_granted_where(tmp_path: t.Any) -> None:
    from genplat.diff import read_output

    from . import outputs as o

    base = o.example()
    head = o.clone(base)
    head.tenants.append(
        o.Tenant("hooli", "small", ["gavin@hooli.example"], ["hooli-devs"], allow_from=["globex"], databases=["idx"])
    )
    result = diff_snapshots(read_output(o.write(base, tmp_path / "b")), read_output(o.write(head, tmp_path / "h")))
    group = next(g for g in json.loads(format_json(result))["groups"] if g["tenant"] == "hooli")
    assert group["bundles"] == ["dev/dev-eu", "prod/prod-eu"]
    grants = group["grants"]
    assert "namespaces: hooli-dev (Pod Security restricted) (in dev/dev-eu)" in grants
    assert "namespaces: hooli-prod (Pod Security restricted) (in prod/prod-eu)" in grants
    # Facts the same in both clusters are said once.
    assert "access: admin to User gavin@hooli.example; edit to Group hooli-devs" in grants
    network = [g for g in grants if g.startswith("network:")]
    assert network == [
        "network: default deny; in from own namespace; out to kube-system; tenant peers: in from globex-dev "
        "(in dev/dev-eu)",
        "network: default deny; in from own namespace; out to kube-system; tenant peers: in from globex-prod "
        "(in prod/prod-eu)",
    ]
    assert "quota: cpu 2/4, memory 4Gi/8Gi" not in grants  # requests and limits differ: each said on its own
    assert next(g for g in grants if g.startswith("quota:")).startswith("quota: requests.cpu 2, limits.cpu 4,")
    md = format_markdown(result)
    assert "tenant hooli: " in md and "- access: admin to User gavin@hooli.example" in md
