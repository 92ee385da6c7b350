"""Errors that mean "the input is wrong": the CLI prints them as one line and exits with code 2."""


class InputError(ValueError):
    """Bad user input (scenario file, SBML model, CLI override). The message is one line
    naming where the problem is (file, line, key path or SBML element) and what to do."""
