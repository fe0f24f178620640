"""Every setting is documented where an operator looks: `run.py --help`, .env.example, the README."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from service.config import SETTINGS, ConfigError, Settings

from .service_process import PROJECT_ROOT


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting.name for setting in SETTINGS])
def test_env_example_lists_the_setting_with_its_default_and_help(setting):
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()

    index = lines.index(f"{setting.name}={setting.default}")
    assert lines[index - 1] == f"# {setting.help}"


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting.name for setting in SETTINGS])
def test_readme_table_lists_the_setting_with_its_default(setting):
    readme = (PROJECT_ROOT / "README.md").read_text()
    default = f" `{setting.default}` " if setting.default else " "

    assert f"| `{setting.name}` |{default}|" in readme


def test_help_explains_commands_and_settings():
    result = subprocess.run([sys.executable, "run.py", "--help"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True)

    for word in ("serve", "migrate", "check", *(setting.name for setting in SETTINGS)):
        assert word in result.stdout


def test_no_database_configured_means_embedded():
    assert Settings.from_environ({}).database_url is None


def test_db_variables_build_the_database_url():
    settings = Settings.from_environ({"DB_HOST": "db", "DB_USER": "shop", "DB_PASSWORD": "p@ss word",
                                      "DB_NAME": "identity", "DB_PORT": "6432"})

    assert settings.database_url == "postgresql://shop:p%40ss%20word@db:6432/identity"


def test_database_url_wins_over_db_variables():
    settings = Settings.from_environ({"DATABASE_URL": "postgresql://a@b/c", "DB_HOST": "db"})

    assert settings.database_url == "postgresql://a@b/c"


@pytest.mark.parametrize("environ", [
    {"PORT": "http"}, {"PORT": "70000"}, {"DB_POOL_MAX_SIZE": "0"},
    {"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "2"}, {"LOG_LEVEL": "LOUD"}, {"DATABASE_URL": "mysql://x"},
])
def test_unusable_setting_is_refused_with_its_name(environ):
    with pytest.raises(ConfigError, match=next(iter(environ)) if len(environ) == 1 else "DB_POOL"):
        Settings.from_environ(environ)


def test_bad_setting_stops_run_py_with_one_clear_log_line_and_exit_1(tmp_path):
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "run.py"), "migrate"], cwd=tmp_path,
                            capture_output=True, text=True, env={"PATH": "", "PORT": "http"})

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert json.loads(line)["message"] == "configuration error: PORT must be a whole number, not 'http'"


def test_database_in_use_is_described_without_password_and_legible_after_log_masking():
    from service.config import describe_database
    from service.logs import mask_identifiers

    described = describe_database("postgresql://shop:s3cret@db.internal:5432/identity")

    assert described == "database identity on db.internal:5432 as shop"
    assert mask_identifiers(described) == described
