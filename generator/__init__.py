"""The operator's side of movies: cdk8s constructs that synthesize the Helm chart, and the CLI."""
