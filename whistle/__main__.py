"""`python -m whistle …` for scripts: the same CLI as the `whistle` command."""

from whistle.cli import main

raise SystemExit(main())
