"""`python -m snn` is the `snn` command."""

from snn.cli import main

raise SystemExit(main())
