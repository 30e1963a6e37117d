"""`nox -s pods`: the images built from services/Dockerfile and the chart's pods run under
podman, probed as the kubelet would, with the audit driven through the gateway's NodePort."""
