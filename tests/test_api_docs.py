"""The API's documentation: a valid OpenAPI schema, and Swagger UI and ReDoc rendering it in a
real browser with no network (their files are served by the app, nothing from a CDN)."""

from __future__ import annotations

import re

import pytest
from web_support import Watched, chromium, live_server, settled

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from assistant.api import create_app  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

TITLE = "Policy Q&A assistant"


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    assistant = Assistant(Settings(embedding_model="hash",
                                   index_dir=tmp_path_factory.mktemp("docs") / "index"))
    # No lifespan (no `with`): the schema needs no index.
    return TestClient(create_app(assistant)).get("/openapi.json").json()


def test_the_openapi_schema_is_valid(schema):
    from openapi_spec_validator import validate

    validate(schema)  # raises on any violation of the OpenAPI 3.1 specification
    assert schema["openapi"].startswith("3.1")
    paths = set(schema["paths"])
    for path in ("/api/ask", "/api/ask/stream", "/api/documents", "/api/documents/{doc_id}",
                 "/api/chunks/{chunk_id}", "/api/jobs/{job_id}", "/v1/chat/completions",
                 "/v1/models", "/healthz", "/readyz"):
        assert path in paths, f"{path} is missing from the schema"
    # Documentation pages and their files are not API operations.
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)


def test_the_pages_name_only_local_files(tmp_path):
    assistant = Assistant(Settings(embedding_model="hash", index_dir=tmp_path / "index"))
    client = TestClient(create_app(assistant))
    for page, asset in (("/docs", "/docs/swagger-ui-bundle.js"),
                        ("/redoc", "/redoc/redoc.standalone.js")):
        html = client.get(page)
        assert html.status_code == 200
        assert asset in html.text
        assert not re.search(r"(src|href)=[\"']https?://", html.text), html.text
        assert client.get(asset).status_code == 200


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("docs-web")) as url:
        yield url


@pytest.fixture
def offline_page(base_url):
    """A page in a browser that can reach the server and nothing else."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Anything not on the test server is refused, as on a machine without network.
        context.route(re.compile(r"^(?!" + re.escape(base_url) + r"|data:|blob:)"),
                      lambda route: route.abort())
        page = context.new_page()
        watched = Watched(page, base_url)
        try:
            yield page, watched
        finally:
            context.close()


def test_swagger_ui_renders_the_schema_offline(offline_page, base_url):
    from playwright.sync_api import expect

    page, watched = offline_page
    page.goto(base_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(TITLE)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    ask = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/ask$"))
    expect(ask).to_have_count(1)
    # Swagger UI's own complaints (e.g. a schema version it cannot read) show in its error box.
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Unable to render this definition")
    version = page.evaluate("() => (window.versions && window.versions.swaggerUI || {}).version")
    assert version and int(version.split(".")[0]) >= 5, version  # reads OpenAPI 3.1
    watched.check()


def test_redoc_renders_the_schema_offline(offline_page, base_url):
    from playwright.sync_api import expect

    page, watched = offline_page
    page.goto(base_url + "/redoc")
    expect(page.locator(".api-info h1")).to_contain_text(TITLE)
    expect(page.locator(".menu-content")).to_contain_text("Answer a question with citations")
    expect(page.locator("body")).not_to_contain_text("Something went wrong")
    watched.check()


def test_the_chat_page_links_nothing_it_cannot_serve(offline_page, base_url):
    """The chat page itself under the same conditions: it loads, asks nothing outside."""
    page, watched = offline_page
    page.goto(base_url + "/")
    settled(page)
    watched.check()
