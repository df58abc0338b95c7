"""``python -m lipa`` runs the command line."""

from lipa.cli import main

raise SystemExit(main())
