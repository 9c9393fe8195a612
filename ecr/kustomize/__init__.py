"""Kustomize trees: found, rendered with real kustomize (``kubectl kustomize``), converted
through their ``images:`` transformers and proven container by container.

- :mod:`ecr.kustomize.tree`: the kustomizations under some paths, what they reference,
  and the roots (those no other kustomization includes);
- :mod:`ecr.kustomize.render`: the pinned ``kubectl`` and what a root renders;
- :mod:`ecr.kustomize.edit`: format-preserving edits of a kustomization's ``images:``;
- :mod:`ecr.kustomize.convert`: the conversion of one tree and its proof;
- :mod:`ecr.kustomize.argocd`: an ArgoCD Application's ``kustomize.images`` overrides.
"""
