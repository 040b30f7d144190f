"""Sub-commands of the ``accountbuilder`` CLI; each module has ``register(subparsers)``."""
