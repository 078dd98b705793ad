"""A C build that stops on a missing system library gets the Debian package that has it, through the
real engine: `acme/glyphs` compiles an extension against FreeType, which the base image lacks (as
modin 0.9's matplotlib<=3.2.2 builds from its sdist on Python 3.9, where it has no wheel)."""

from __future__ import annotations

import docker
import pytest

from swegym_build.handoff import read_built
from swegym_build.specs import load_spec_file
from swegym_build.verify.records import read_verifications
from swegym_build.workspace import Workspace
from tests.verify.worlds import as_test_user, attempts, build_drafted

pytestmark = pytest.mark.docker
REPO = "acme/glyphs"
EXTENSION = """\
#include <Python.h>
#include <ft2build.h>
#include FT_FREETYPE_H

static PyObject *freetype_major(PyObject *self, PyObject *args) {
    FT_Library library;
    FT_Int major, minor, patch;
    if (FT_Init_FreeType(&library)) return PyErr_Format(PyExc_RuntimeError, "FreeType did not start");
    FT_Library_Version(library, &major, &minor, &patch);
    FT_Done_FreeType(library);
    return PyLong_FromLong(major);
}

static PyMethodDef methods[] = {{"freetype_major", freetype_major, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_render", NULL, -1, methods};
PyMODINIT_FUNC PyInit__render(void) { return PyModule_Create(&module); }
"""
FILES = {
    "setup.py": """\
from setuptools import Extension, setup

setup(
    name="glyphs",
    version="0.4",
    packages=["glyphs"],
    ext_modules=[Extension("glyphs._render", ["glyphs/render.c"], include_dirs=["/usr/include/freetype2"],
                           libraries=["freetype"])],
    extras_require={"tests": ["pytest"]},
)
""",
    "glyphs/__init__.py": "",
    "glyphs/render.c": EXTENSION,
    "tests/test_render.py": "from glyphs._render import freetype_major\n\n\n"
    "def test_freetype_2():\n    assert freetype_major() == 2\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("library")
    workspace, summary = build_drafted(root, docker_client, {REPO: (FILES, "2024-09-01")}, max_attempts=3)
    assert summary.outcomes == {"kept": 1}, summary.report.problems
    return workspace


def test_the_missing_header_s_package_is_installed_and_the_tests_run(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    tried = attempts(built, REPO)
    assert tried[0] == ("as drafted", "env_build_failed")
    assert tried[-1] == ("with apt libfreetype-dev (ft2build.h not found)", "verified")
    [record] = read_verifications(built, REPO).values()
    assert record.recipe is not None and record.recipe["apt_packages"] == ["libfreetype-dev"]
    # the draft to copy into specs/ carries the package
    assert load_spec_file(built.draft_spec_file(REPO)).for_version("0.4").apt_packages == ("libfreetype-dev",)
    image = read_built(built)["acme__glyphs-1"].image
    out = as_test_user(docker_client, image, "cd /testbed && python -m pytest -q -p no:cacheprovider tests")
    assert "1 passed" in out, out
