#!/usr/bin/env python3
"""The service's command line from a checkout: `.venv/bin/python run.py [serve|migrate|check]`.
Installed, the same command line is `identity-service` (service/cli.py)."""

import sys

from service.cli import main

if __name__ == "__main__":
    sys.exit(main())
