"""Click's own words, said in French: help pages (« Utilisation », « Commandes », « par défaut ») and command
line mistakes (unknown option or command, missing argument, bad number); click writes them in English."""

import difflib

import click


class Failure(click.ClickException):
    """A user's mistake or a failing source, said in French without a traceback (exit code 1)."""

    def show(self, file=None):
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)


class FrenchHelp:
    """Click's own words in a help page (the -h line, « Usage », « Commands », « default ») are English; say
    them in French like the rest of the help."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Affiche cette aide et quitte."
        return option

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Utilisation : ")

    def format_help_text(self, ctx, formatter):
        super().format_help_text(ctx, formatter)
        section = formatter.section
        formatter.section = lambda name: section({"Commands": "Commandes ", "Options": "Options "}.get(name, name))


def default_help(help_text: str, value) -> str:
    """An option's help with its default value, as click's show_default would say it in English."""
    return f"{help_text} (par défaut : {value})"


class _Command(FrenchHelp, click.Command):
    pass


class FrenchUsage(click.UsageError):
    """A mistake on the command line (unknown option, missing argument, bad value) said in French:
    click's own messages are English."""

    def __init__(self, error: click.UsageError):
        super().__init__(french_usage(error), error.ctx)

    def show(self, file=None):
        if self.ctx is not None:
            click.echo(self.ctx.get_usage().replace("Usage:", "Utilisation :", 1), err=True, file=file)
            click.echo(f"Aide : {self.ctx.command_path} -h", err=True, file=file)
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)


def french_usage(error: click.UsageError) -> str:
    if isinstance(error, click.NoSuchOption):
        close = f" ; vouliez-vous dire {', '.join(error.possibilities)} ?" if error.possibilities else ""
        return f"option inconnue « {error.option_name} »{close}"
    if isinstance(error, click.BadOptionUsage) and "requires an argument" in error.message:
        return f"l'option « {error.option_name} » attend une valeur"
    param = getattr(error, "param", None)
    if param is None:
        return error.message
    name = " / ".join(param.opts) if isinstance(param, click.Option) else param.human_readable_name
    if isinstance(error, click.MissingParameter):
        return f"il manque {name}"
    if isinstance(param.type, click.IntRange):
        return f"{name} attend un nombre entier de {param.type.min} à {param.type.max}"
    if isinstance(param.type, click.types.IntParamType):
        return f"{name} attend un nombre entier"
    if isinstance(param.type, click.Path):
        said = next((french for english, french in PATH_PROBLEMS if english in error.message), error.message)
        return f"{name} : {said}"
    return f"valeur refusée pour {name} ({error.message})"


# click.Path's own problems (English) → French.
PATH_PROBLEMS = (("is a file", "ce chemin est un fichier ; indiquez un dossier"),
                 ("is a directory", "ce chemin est un dossier ; indiquez un fichier"),
                 ("does not exist", "ce chemin n'existe pas"),
                 ("is not writable", "calfeed ne peut pas écrire à cet endroit (droits)"),
                 ("is not readable", "calfeed ne peut pas lire ce fichier (droits)"))


class FrenchGroup(FrenchHelp, click.Group):
    """A command group whose commands and command line mistakes speak French."""

    command_class = _Command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise FrenchUsage(exc) from None

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise FrenchUsage(exc) from None

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            close = difflib.get_close_matches(args[0], self.commands, n=1)
            hint = f" ; vouliez-vous dire {close[0]} ?" if close else f" (commandes : {', '.join(self.commands)})"
            ctx.fail(f"commande inconnue « {args[0]} »{hint}")
        return super().resolve_command(ctx, args)
