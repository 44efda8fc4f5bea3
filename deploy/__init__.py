"""Deployment: the local stack (``local.py``), compose file and manifests."""
