"""Start the app with its first page's modules and data loaded before the first visitor (see ui/warmup.py).

    .venv/bin/python -m ui.serve [options of `streamlit run`]
    e.g.  .venv/bin/python -m ui.serve --server.address 0.0.0.0 --server.port 8501

It is `streamlit run app.py` with the warm-up first: the options are handed to Streamlit's own command line
(streamlit.web.cli, the code behind `streamlit run`), in this same process, so every option and the
config files work as they do there, and the server answers its health check only once the warm-up is done.
`streamlit run app.py` still works; its first visitor then waits for what is loaded here."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
NO_WARM_UP = ("--help", "-h")  # options that do not start a server


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if str(ROOT) not in sys.path:  # the app's packages (sim, ui), whatever folder this is started from
        sys.path.insert(0, str(ROOT))
    from streamlit.web import cli

    if not any(a in NO_WARM_UP for a in argv):
        load_config(cli, argv)
        warm_up()
    cli.main(["run", str(APP), *argv], prog_name="streamlit")


def warm_up() -> bool:
    """ui.warmup.warm; if it fails, say so in one line and start all the same: the warm-up only saves the
    first visitor time, and the page itself reports what is wrong (a scenario or network that cannot be read)."""
    from ui.warmup import warm

    try:
        warm()
    except Exception as exc:  # noqa: BLE001 - any failure: the server starts without the warm-up
        print(f"Warm-up skipped ({type(exc).__name__}: {exc}); the first visitor loads what it needs.", flush=True)
        return False
    return True


def load_config(cli, argv: list[str]) -> None:
    """Streamlit's configuration as `streamlit run` will set it (config files, then these options), set now
    so that the warm-up sees it (e.g. server.baseUrlPath) and the server finds it unchanged when it starts.
    Options are parsed by `streamlit run`'s own parser, which reports a bad option and exits as it would."""
    import click
    from streamlit import config
    from streamlit.web import bootstrap

    try:
        with cli.main_run.make_context("streamlit run", [str(APP), *argv]) as ctx:
            flags = {k: v for k, v in ctx.params.items() if k not in ("target", "args")}
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    config._main_script_path = str(APP)  # as cli._main_run sets it: the app's folder may hold a config.toml
    bootstrap.load_config_options(flag_options=flags)


if __name__ == "__main__":
    main()
