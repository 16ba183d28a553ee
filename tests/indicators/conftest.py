import copy
import json

import pytest

from indicators import catalogue as catalogues
from tests.support.indicators import minimal_catalogue


@pytest.fixture
def extra_dir(tmp_path, settings):
    """An INDICATOR_CATALOGUE_DIRS directory; write(data, name) adds a file."""
    settings.INDICATOR_CATALOGUE_DIRS = [str(tmp_path)]

    class Dir:
        path = tmp_path

        def write(self, data, name=None):
            name = name or f"{data['id']}.json"
            text = data if isinstance(data, str) else json.dumps(data)
            (tmp_path / name).write_text(text, encoding="utf-8")
            catalogues.clear_cache()
            return tmp_path / name

    yield Dir()
    catalogues.clear_cache()


@pytest.fixture
def national():
    return copy.deepcopy(minimal_catalogue())
