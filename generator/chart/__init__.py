"""The Helm chart ``charts/movies``, synthesized from cdk8s constructs.

Data flows one way: the typed values model (``model``) gives the defaults, the schema,
the per-environment files and the README table; the constructs (``workloads``,
``platform``) turn ``.Values`` references into Kubernetes objects; ``render`` writes them
as Helm templates; ``synth`` ties it together.
"""
