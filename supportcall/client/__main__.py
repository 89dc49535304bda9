"""``python -m supportcall.client``: see :mod:`supportcall.client.cli`."""

from .cli import main

raise SystemExit(main())
