"""`python -m mailseal` is the `mailseal` command."""

from mailseal.cli import main

raise SystemExit(main())
