"""The ``portrait-stylize`` command line: one module per subcommand."""
