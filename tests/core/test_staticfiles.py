"""Static file URLs worked out once per process (lending.core.staticfiles): the same URLs as WhiteNoise's storage."""

import json

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from lending.core.staticfiles import ManifestStaticFilesStorage

MANIFEST = {
    "version": "1.1",
    "hash": "abc",
    "paths": {"css/site.css": "css/site.0123abcd.css", "fonts/a b.woff": "fonts/a b.4567ef01.woff"},
}
NAMES = ("css/site.css", "fonts/a%20b.woff", "fonts/a b.woff", "css/site.css?v=2#top", "css/")


@pytest.fixture
def location(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def _storages(location):
    return (
        CompressedManifestStaticFilesStorage(location=location, base_url="/static/"),
        ManifestStaticFilesStorage(location=location, base_url="/static/"),
    )


@pytest.mark.parametrize("debug", [False, True])
def test_the_same_urls_as_whitenoises_storage(location, debug):
    with override_settings(DEBUG=debug):
        django_storage, ours = _storages(location)
        for name in NAMES:
            assert ours.url(name) == django_storage.url(name)
            assert ours.url(name) == django_storage.url(name)  # remembered, the same
            assert ours.url(name, force=True) == django_storage.url(name, force=True)
    assert ours.url("css/site.css", force=True) == "/static/css/site.0123abcd.css"


def test_a_url_is_worked_out_once(location, monkeypatch):
    ours = _storages(location)[1]
    calls = []
    stored_name = ours.stored_name
    monkeypatch.setattr(ours, "stored_name", lambda name: calls.append(name) or stored_name(name))
    with override_settings(DEBUG=False):
        assert ours.url("css/site.css") == ours.url("css/site.css") == "/static/css/site.0123abcd.css"
    assert calls == ["css/site.css"]


def test_debug_is_part_of_the_key(location):
    ours = _storages(location)[1]
    with override_settings(DEBUG=False):
        assert ours.url("css/site.css") == "/static/css/site.0123abcd.css"
    with override_settings(DEBUG=True):
        assert ours.url("css/site.css") == "/static/css/site.css"


def test_a_missing_file_still_raises_and_is_not_remembered(location):
    ours = _storages(location)[1]
    with override_settings(DEBUG=False):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("css/missing.css")
        (location / "staticfiles.json").write_text(
            json.dumps({**MANIFEST, "paths": {**MANIFEST["paths"], "css/missing.css": "css/missing.1.css"}})
        )
        ours.hashed_files, _ = ours.load_manifest()
        assert ours.url("css/missing.css") == "/static/css/missing.1.css"


def test_collectstatic_forgets_the_old_manifests_urls(location):
    ours = _storages(location)[1]
    with override_settings(DEBUG=False):
        assert ours.url("css/site.css") == "/static/css/site.0123abcd.css"
        list(ours.post_process({}, dry_run=True))  # collectstatic with nothing to copy: an empty manifest
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("css/site.css")
