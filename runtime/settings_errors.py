"""What is wrong with a service's environment, told by variable name and never by value
(they may be keys, or URLs with passwords): ``runtime.settings.from_environment`` ends the
process with it, ``runtime.auth``'s command line prints it."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping

from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings
from pydantic_settings.exceptions import SettingsError


def configuration_error(cls: type[BaseSettings], exc: ValidationError | SettingsError) -> str:
    """What is wrong with the environment, by variable name, without the values."""
    if isinstance(exc, SettingsError):
        found = re.search(r'field "([^"]+)"', str(exc))
        name = variable(cls, found.group(1)) if found else "a setting"
        problems = [f"{name}: not valid JSON"]
    else:
        problems = [
            _problem(cls, error["loc"], str(error["msg"]))
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"invalid configuration, the service does not start:\n{lines}"


def _problem(cls: type[BaseSettings], loc: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    if not loc:
        return message  # a rule across settings: its message names the variables
    name = variable(cls, str(loc[0]))
    inner = "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in loc[1:])
    return f"{name}{inner}: {message}"


def variable(cls: type[BaseSettings], name: str) -> str:
    """The environment variable a field (named by its name or its alias) is read from."""
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        aliases = (
            [alias]
            if isinstance(alias, str)
            else alias.choices
            if isinstance(alias, AliasChoices)
            else []
        )
        if name == field_name or name in aliases:
            if aliases:
                return str(aliases[0])
            break
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def source_variable(
    cls: type[BaseSettings], field_name: str, environ: Mapping[str, str] = os.environ
) -> str:
    """The environment variable a field's value came from: the first of its aliases that is
    set, as the settings read them (``TRIPCARE_AMQP_URL`` when ``AMQP_URL`` is not set), or
    the one that would set it."""
    alias = cls.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        present = {name.upper() for name in environ}
        for choice in alias.choices:
            if isinstance(choice, str) and choice.upper() in present:
                return choice
    return variable(cls, field_name)


TYPO_CUTOFF = 0.85
"""How like a setting's variable a ``TRIPCARE_*`` name must be to be taken for its typo
(``difflib``'s ratio): one letter swapped, dropped or doubled in a name of 15 or more;
no service's variable is that like another's (``tests/unit/test_misspelt_settings.py``)."""


def environment_names(cls: type[BaseSettings]) -> set[str]:
    """The names the environment gives each field by: its aliases, else prefix and name."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def misspelt(cls: type[BaseSettings], environ: Mapping[str, str] = os.environ) -> list[str]:
    """A line for each ``TRIPCARE_*`` variable no setting reads whose name is nearly one a
    setting reads (never its value)."""
    known = sorted(environment_names(cls))
    upper = {name.upper() for name in known}
    lines = []
    for name in sorted(environ):
        if not name.upper().startswith("TRIPCARE_") or name.upper() in upper:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=TYPO_CUTOFF)
        if close:
            lines.append(f"{name} is ignored: no setting reads it. A typo of {close[0]}?")
    return lines
