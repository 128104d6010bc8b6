"""The click that typer runs on: typer 0.24 and later carry their own copy of it."""

try:
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from typer._click.globals import get_current_context
except ImportError:  # an older typer, on the click package
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from click.globals import get_current_context

__all__ = ["ClickException", "NoArgsIsHelpError", "UsageError", "get_current_context"]
