"""Delivery stage: what the clusters run, read back against what genplat built (``genplat status``).

After ``publish`` pushes a bundle, its cluster's GitOps controller pulls and applies it. This stage reads
the wiring genplat rendered (``out/_gitops/``) and the lock (``out/genplat.lock.json``), asks each
cluster's API server what its controllers report (read-only, with deadlines and size bounds), and relates
every failure to the blueprint line that caused it. Modules:

* :mod:`~genplat.delivery.kubeconfig`: kubeconfig files and contexts, credentials (exec plugins too);
* :mod:`~genplat.delivery.kube`: the Kubernetes client (GET, LIST, server-side apply dry runs only);
* :mod:`~genplat.delivery.wiring`: the bundles, their delivery objects and objects, from ``out/``;
* :mod:`~genplat.delivery.readers`: one reader per delivery kind (OCIRepository, Kustomization,
  HelmRelease, App): converged, behind or failing against the lock's digest;
* :mod:`~genplat.delivery.status`: the report per cluster and layer, events, inventories, ``--wait``;
* :mod:`~genplat.delivery.drift`: objects changed outside git (server-side apply dry runs);
* :mod:`~genplat.delivery.report`: text, JSON and GitHub output.
"""

from __future__ import annotations

from genplat.delivery.model import ClusterStatus, StatusReport, UnitStatus
from genplat.delivery.status import StatusOptions, read_status, wait_status

__all__ = ["ClusterStatus", "StatusOptions", "StatusReport", "UnitStatus", "read_status", "wait_status"]
