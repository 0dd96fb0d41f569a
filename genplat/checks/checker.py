"""Check rendered objects (or any manifests): schemas first, then the tenant guardrail gate.

``genplat build`` keeps one :class:`Checker` for the whole run, so CRDs are converted and validators
compiled once however many bundles it checks. Findings come back as :class:`~genplat.Diagnostic` s that
point at the blueprint file:line behind a rendered object (its ``origin``), or at the exact line and
column of the offending field for manifests read by ``genplat check``.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from genplat.checks.crd_schema import Loaded, convert_crd
from genplat.checks.guardrails import GuardrailContext, run_guardrails
from genplat.checks.kubeconform import run_kubeconform
from genplat.checks.manifests import Located, read_manifests
from genplat.checks.schema import SchemaFinding, SchemaIndex
from genplat.checks.secrets import check_objects as check_secrets
from genplat.core.diagnostics import Diagnostic, Severity, json_path, sort_diagnostics
from genplat.core.kube import split_api_version
from genplat.core.objects import RenderedObject
from genplat.core.secrets import NO_ALLOWANCES, Allowances

# Built-in kinds without a namespace; CRDs say their scope themselves.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "APIService",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "RuntimeClass",
        "IngressClass",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ComponentStatus",
        "DeviceClass",
        "ResourceSlice",
        "ClusterTrustBundle",
        "IPAddress",
        "ServiceCIDR",
        "VolumeAttributesClass",
        "StorageVersionMigration",
    }
)


class Checker:
    """Schemas for one Kubernetes version and CRD set, loaded once; call :meth:`check` per bundle."""

    def __init__(
        self,
        *,
        kubernetes_version: str,
        crd_paths: t.Sequence[Path] = (),
        use_cache: bool = True,
        kubeconform_binary: str | None = None,
        loaded: Loaded | None = None,
    ) -> None:
        self.index = SchemaIndex(
            kubernetes_version=kubernetes_version,
            crd_paths=[Path(p) for p in crd_paths],
            use_cache=use_cache,
            loaded=loaded,
        )
        self.kubeconform_binary = kubeconform_binary

    def setup_diagnostics(self) -> list[Diagnostic]:
        """Problems found while loading CRDs and picking the Kubernetes version (report them once)."""
        out = list(self.index.crds.diagnostics)
        if self.index.kubernetes.note:
            out.append(
                Diagnostic(rule="kubernetes-version", message=self.index.kubernetes.note, severity=Severity.WARNING)
            )
        return out

    def add_crds(
        self, documents: t.Iterable[tuple[dict[str, t.Any], str]], *, replace: bool = False
    ) -> list[Diagnostic]:
        """Also use CRDs met among the objects under check (a folder holding CRDs and their resources).
        ``replace``: these CRDs win over ones known before (the CRDs a build derives from its own XRDs:
        the checker outlives a build, and another project may define the same kind differently)."""
        diags: list[Diagnostic] = []
        replaced: set[tuple[str, str]] = set()
        for doc, source in documents:
            versions, problems = convert_crd(doc, source)
            for v in versions:
                key = (v.group, v.version, v.kind)
                if replace and self.index.crds.versions.get(key) not in (None, v):
                    replaced.add((v.api_version, v.kind))
                    self.index.crds.versions[key] = v
                else:
                    self.index.crds.versions.setdefault(key, v)
            diags.extend(Diagnostic(rule="crd-invalid", message=p, file=source) for p in problems)
        # Forget "no schema" answers given before these CRDs were known, and the replaced kinds' validators.
        self.index._entries = {k: e for k, e in self.index._entries.items() if e is not None and k not in replaced}
        return diags

    def cluster_scoped(self, api_version: str, kind: str) -> bool:
        group, _ = split_api_version(api_version)
        scope = self.index.crds.scope(group, kind) if group else None
        if scope is not None:
            return scope == "Cluster"
        return kind in CLUSTER_SCOPED

    def check(
        self,
        objects: t.Sequence[RenderedObject],
        *,
        guardrails: GuardrailContext | None = None,
        strict: bool = False,
        use_kubeconform: bool = False,
        include_setup: bool = True,
        report_disabled: bool = True,
    ) -> list[Diagnostic]:
        """Check rendered objects; findings point at each object's origin (its blueprint line)."""
        return self.check_located(
            [Located(ro) for ro in objects],
            guardrails=guardrails,
            strict=strict,
            use_kubeconform=use_kubeconform,
            include_setup=include_setup,
            report_disabled=report_disabled,
        )

    def check_located(
        self,
        items: t.Sequence[Located],
        *,
        guardrails: GuardrailContext | None = None,
        strict: bool = False,
        use_kubeconform: bool = False,
        include_setup: bool = True,
        report_disabled: bool = True,
        allowances: Allowances = NO_ALLOWANCES,
    ) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        if include_setup:
            out.extend(self.setup_diagnostics())
        out.extend(self._schemas(items, strict=strict, use_kubeconform=use_kubeconform))
        out.extend(self._guardrails(items, guardrails, report_disabled))
        # Not a guardrail: no platform setting switches it off, only spec.secrets.allow lets a value pass.
        out.extend(check_secrets(items, guardrails.secret_allowances if guardrails else allowances))
        return sort_diagnostics(out)

    def _schemas(self, items: t.Sequence[Located], *, strict: bool, use_kubeconform: bool) -> t.Iterator[Diagnostic]:
        unknown: dict[tuple[str, str], list[Located]] = {}
        delegated: list[Located] = []
        for item in items:
            obj = item.ro.obj
            if (
                use_kubeconform
                and isinstance(obj, dict)
                and self.index.knows(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
            ):
                delegated.append(item)
                continue
            validated, findings = self.index.validate(obj)
            if not validated:
                unknown.setdefault((item.ro.api_version, item.ro.kind), []).append(item)
            for f in findings:
                yield self._diagnostic(item, f)
        if delegated:
            per_object = run_kubeconform([i.ro.obj for i in delegated], self.index, binary=self.kubeconform_binary)
            for item, findings in zip(delegated, per_object, strict=True):
                for f in findings:
                    yield self._diagnostic(item, f)
        for (api_version, kind), group in sorted(unknown.items()):
            first = group[0]
            file, line, col = first.place(())
            more = f" ({len(group)} objects; the first is shown)" if len(group) > 1 else ""
            yield Diagnostic(
                rule="schema-not-validated",
                message=f"{api_version} {kind} not validated: no schema known for it{more}",
                file=file,
                line=line,
                column=col,
                object=first.ro.ref(),
                severity=Severity.ERROR if strict else Severity.WARNING,
                hint="pass the CRD that defines it with --crds (or list it under crds: in the platform blueprint)",
            )

    def _diagnostic(self, item: Located, f: SchemaFinding) -> Diagnostic:
        file, line, col = item.place(f.path, key=f.key)
        return Diagnostic(
            rule=f.rule,
            message=f.message,
            file=file,
            line=line,
            column=col,
            path=json_path(f.path),
            hint=f.hint,
            object=item.ro.ref(),
        )

    def _guardrails(
        self, items: t.Sequence[Located], context: GuardrailContext | None, report_disabled: bool
    ) -> t.Iterator[Diagnostic]:
        by_id = {id(i.ro): i for i in items}
        file: str | None
        line: int | None
        col: int | None
        ref: str | None
        for rule, severity, finding in run_guardrails(
            [i.ro for i in items], context, cluster_scoped=self.cluster_scoped, report_disabled=report_disabled
        ):
            if finding.obj is not None:
                item = by_id[id(finding.obj)]
                file, line, col = item.place(finding.path)
                ref = item.ro.ref()
            else:
                file = line = col = None
                ref = finding.object_ref
            yield Diagnostic(
                rule=rule,
                message=finding.message,
                file=file,
                line=line,
                column=col,
                path=json_path(finding.path),
                hint=finding.hint,
                severity=severity,
                object=ref,
            )


_CHECKERS: dict[tuple[t.Any, ...], Checker] = {}


def get_checker(*, kubernetes_version: str, crd_paths: t.Sequence[Path] = (), loaded: Loaded | None = None) -> Checker:
    """A process-wide :class:`Checker` per (version, CRD paths): repeated calls pay nothing. ``loaded``
    shares converted CRD files between the checkers of one build."""
    key = (kubernetes_version, tuple(str(Path(p).resolve()) for p in crd_paths))
    if key not in _CHECKERS:
        _CHECKERS[key] = Checker(kubernetes_version=kubernetes_version, crd_paths=crd_paths, loaded=loaded)
    return _CHECKERS[key]


def check_objects(
    objects: t.Sequence[RenderedObject],
    *,
    kubernetes_version: str,
    crd_paths: t.Sequence[Path] = (),
    guardrails: GuardrailContext | None = None,
    strict: bool = False,
    use_kubeconform: bool = False,
) -> list[Diagnostic]:
    """Schema and guardrail findings for rendered objects; the entry ``genplat build`` calls per bundle.

    CRD loading problems are reported with the first call for a given CRD set only.
    """
    checker = get_checker(kubernetes_version=kubernetes_version, crd_paths=crd_paths)
    return checker.check(objects, guardrails=guardrails, strict=strict, use_kubeconform=use_kubeconform)


def check_paths(
    paths: t.Sequence[Path],
    *,
    kubernetes_version: str,
    crd_paths: t.Sequence[Path] = (),
    guardrails: GuardrailContext | None = None,
    strict: bool = False,
    use_kubeconform: bool = False,
    kubeconform_binary: str | None = None,
    allowances: Allowances = NO_ALLOWANCES,
) -> list[Diagnostic]:
    """``genplat check``: read manifests (files or folders) and check them (``allowances``: values
    declared not secret, when no blueprint context gives them).

    CRDs among the manifests are used as schemas too, so a folder of CRDs and resources checks itself.
    """
    items, diags = read_manifests(paths)
    checker = Checker(kubernetes_version=kubernetes_version, crd_paths=crd_paths, kubeconform_binary=kubeconform_binary)
    crd_docs = [
        (i.ro.obj, i.ro.origin.file)
        for i in items
        if i.ro.kind == "CustomResourceDefinition" and i.ro.api_version.startswith("apiextensions.k8s.io/")
    ]
    # Crossplane XRDs define their composite resources' CRDs: derive them, so XRs check too.
    from genplat.rendering.crossplane import composite_crd

    for i in items:
        if i.ro.kind == "CompositeResourceDefinition" and i.ro.api_version.startswith("apiextensions.crossplane.io/"):
            try:
                crd_docs.append((composite_crd(i.ro.obj), i.ro.origin.file))
            except (KeyError, TypeError, AttributeError, IndexError):
                diags.append(
                    Diagnostic(
                        rule="crd-invalid",
                        message="cannot derive the composite resource's CRD from this XRD",
                        file=i.ro.origin.file,
                        line=i.ro.origin.line,
                        object=i.ro.ref(),
                    )
                )
    if crd_docs:
        diags.extend(checker.add_crds(crd_docs))
    diags.extend(
        checker.check_located(
            items, guardrails=guardrails, strict=strict, use_kubeconform=use_kubeconform, allowances=allowances
        )
    )
    return sort_diagnostics(diags)
