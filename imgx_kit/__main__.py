"""``python -m imgx_kit`` is the ``imgx-kit`` command."""
from .cli import main

raise SystemExit(main())
