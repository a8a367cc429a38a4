import httpx
from bs4 import BeautifulSoup


async def test_landing_page_says_what_lpxgp_is(client: httpx.AsyncClient):
    response = await client.get("/")

    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("h1").text.startswith("Find the LPs most likely to commit")
    assert page.title.text.strip().endswith("· LPxGP")
    assert len(page.select(".features .feature")) == 4
    assert page.select_one("a.brand")["href"] == "/"


async def test_landing_page_loads_only_local_assets(client: httpx.AsyncClient):
    page = BeautifulSoup((await client.get("/")).text, "html.parser")
    assets = [tag.get("src") or tag.get("href") for tag in page.select("script, link")]

    assert assets and all(url.startswith("/static/") for url in assets)
    for url in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
    htmx = await client.get(page.select_one("script")["src"])
    assert "htmx" in htmx.text[:2000] and "2.0.11" in htmx.text
