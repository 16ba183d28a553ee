"""Key files, the environment alternative, start-up errors and the commands."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from referral import persons, vault
from referral.models import Person
from tests.support.vault import SYNTHETIC, read_keys


def use(settings, *, file="", keys="", create=False):
    settings.VAULT_KEY_FILE = str(file)
    settings.VAULT_KEYS = keys
    settings.VAULT_CREATE_KEY_FILE = create
    vault.reload_keys()


def test_key_file_is_created_once_private_and_valid(tmp_path):
    path = tmp_path / "sub" / "keys.json"
    assert vault.create_key_file(path)
    first = path.read_bytes()
    assert not vault.create_key_file(path)
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = vault.parse_key_set(read_keys(path))
    assert ring.kek_ids == {ring.active}
    assert len(ring.blind_index_key) == 32
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temp files left


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(active="absent"), "active key"),
        (lambda d: d.update(keys={}), "no keys"),
        (lambda d: d["keys"].update({"bad id!": d["keys"][d["active"]]}), "key id"),
        (lambda d: d["keys"].update({d["active"]: "***"}), "base64"),
        (lambda d: d["keys"].update({d["active"]: "AAAA"}), "32 bytes"),
        (lambda d: d.update(blind_index_key="AAAA"), "blind_index_key"),
    ],
)
def test_malformed_key_sets_name_the_variable_and_hide_keys(
    tmp_path, settings, mutate, message
):
    data = vault.new_key_set()
    mutate(data)
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(data))
    use(settings, file=path)
    with pytest.raises(ImproperlyConfigured, match=message) as caught:
        vault.keyring()
    assert "VAULT_KEY_FILE" in str(caught.value)
    for encoded in data["keys"].values():
        if len(encoded) > 8:
            assert encoded not in str(caught.value)


def test_no_keys_missing_file_bad_json_and_both_sources(tmp_path, settings):
    use(settings)
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEY_FILE"):
        vault.keyring()
    use(settings, file=tmp_path / "absent.json")
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEY_FILE"):
        vault.keyring()
    (tmp_path / "bad.json").write_text("{not json")
    use(settings, file=tmp_path / "bad.json")
    with pytest.raises(ImproperlyConfigured, match="not valid JSON"):
        vault.keyring()
    use(settings, file=tmp_path / "bad.json", keys="{}")
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEY_FILE or the VAULT_KEYS"):
        vault.keyring()
    use(settings, keys="[]")
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEYS"):
        vault.keyring()


@pytest.mark.django_db
def test_keys_from_the_environment(settings):
    use(settings, keys=json.dumps(vault.new_key_set()))
    person = persons.person_create(**SYNTHETIC)
    assert Person.objects.with_keys().get(pk=person.pk).notes == SYNTHETIC["notes"]


def test_test_and_demo_settings_create_a_key_file_on_first_use(tmp_path, settings):
    path = tmp_path / "var" / "generated.json"
    use(settings, file=path, create=True)
    assert vault.keyring().active
    assert path.exists()


def test_ensure_demo_keys_says_so_once(tmp_path, settings):
    path = tmp_path / "demo-vault-keys.json"
    use(settings, file=path, create=True)
    out = io.StringIO()
    vault.ensure_demo_keys(out)
    assert str(path) in out.getvalue() and "demo" in out.getvalue()
    again = io.StringIO()
    vault.ensure_demo_keys(again)
    assert again.getvalue() == ""


def test_ensure_demo_keys_never_creates_outside_the_demo(tmp_path, settings):
    use(settings, file=tmp_path / "absent.json", create=False)
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEY_FILE"):
        vault.ensure_demo_keys(io.StringIO())
    assert not (tmp_path / "absent.json").exists()


def test_vault_init(tmp_path, settings):
    path = tmp_path / "keys.json"
    use(settings, file=path)
    out = io.StringIO()
    call_command("vault_init", stdout=out)
    assert "Created the vault key file" in out.getvalue() and path.exists()
    out = io.StringIO()
    call_command("vault_init", stdout=out)
    assert "exists; unchanged" in out.getvalue()


def test_vault_keygen_adds_and_activates(key_file):
    before = read_keys(key_file)
    out = io.StringIO()
    call_command("vault_keygen", stdout=out)
    after = read_keys(key_file)
    new = after["active"]
    assert new != before["active"] and set(after["keys"]) == {before["active"], new}
    assert after["blind_index_key"] == before["blind_index_key"]
    assert new in out.getvalue()
    for encoded in after["keys"].values():
        assert encoded not in out.getvalue()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert vault.keyring().active == new


def test_vault_keygen_inactive_then_activate(key_file):
    active = read_keys(key_file)["active"]
    call_command("vault_keygen", "--inactive", "--id", "k-next", stdout=io.StringIO())
    assert read_keys(key_file)["active"] == active
    assert "k-next" in read_keys(key_file)["keys"]
    call_command("vault_keygen", "--activate", "k-next", stdout=io.StringIO())
    assert read_keys(key_file)["active"] == "k-next"
    with pytest.raises(CommandError, match="already has"):
        call_command("vault_keygen", "--id", "k-next", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no key"):
        call_command("vault_keygen", "--activate", "k-none", stdout=io.StringIO())


def test_vault_keygen_needs_a_file(settings):
    use(settings, keys=json.dumps(vault.new_key_set()))
    with pytest.raises(CommandError, match="VAULT_KEY_FILE"):
        call_command("vault_keygen", stdout=io.StringIO())


def test_system_check_reports_missing_and_exposed_key_files(tmp_path, settings):
    use(settings, file=tmp_path / "absent.json")
    assert [e.id for e in vault.check_vault_keys()] == ["vault.E001"]
    use(settings, file=tmp_path / "absent.json", create=True)
    assert vault.check_vault_keys() == []
    assert not (tmp_path / "absent.json").exists()  # a check creates nothing
    path = tmp_path / "keys.json"
    vault.create_key_file(path)
    use(settings, file=path)
    assert vault.check_vault_keys() == []
    path.chmod(0o644)
    assert [e.id for e in vault.check_vault_keys()] == ["vault.W001"]
    assert any(
        m.id == "vault.W001" for m in checks.run_checks(tags=[checks.Tags.security])
    )
