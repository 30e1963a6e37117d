"""The chart synthesizer: cdk8s constructs that synthesize the Helm chart and its values files."""
